# t-reproof: the checksum proof lost with the daemon (its snapshots at the
# freeze point end with the process) is made again at restart at a new
# consistent point: the target's snapshot and its binlog position, and the
# source's reverse replication stopped at exactly that position (START
# SLAVE UNTIL), while the writer keeps writing to the target. A row
# changed on the source alone is found; a kill -9 while the source is
# paused at the point leaves reverse replication running after the next
# start, and the proof passes; decommission waits for the proof meanwhile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start
db_items
db_plan shop "freeze_timeout = 3s" "approval = auto"
writer_start 200

db_sync
inject cutover
start_daemon
ok "writer switched" wait_for 30 history_has 'cutover -> full_traffic'
ok "the proof at the freeze point passed" wait_for 30 fact_is proof.verdict ok
expect_match "the first proof was at the freeze point" "at the freeze point" \
    "$(fact proof.detail)"

reverse_runs() {
	mdb_root "$T/db" source -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Slave_SQL_Running: Yes'
}
until_none() {
	mdb_root "$T/db" source -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Until_Condition: None'
}
# The proof's facts gone, as after a kill -9 before the proof ended.
lose_proof() {
	stop_daemon
	sqlite3 "$STATE" "DELETE FROM facts WHERE key LIKE 'proof.%'"
}
# The source catches up with the target's writes (reverse replication).
caught_up() {
	local t
	t=$(tgt_sql 'SELECT MAX(seq) FROM shop.writes')
	wait_for 20 sql_ge source 'SELECT MAX(seq) FROM shop.writes' "$t"
}
reproofs() { journal | grep -c 'checksum proof restarted at target position'; }

# 1. The re-proof passes with the writer writing to the target.
ok "the writer writes to the target" test "$(cat "$T/writer.host")" = \
    "127.0.0.1:$REPLICA_PORT"
lose_proof
start_daemon
ok "re-proof: verdict ok" wait_for 60 fact_is proof.verdict ok
detail=$(fact proof.detail)
expect_match "re-proof: the detail names the restart" \
    "identical at target position mysql-bin\.[0-9]+:[0-9]+ \(re-proof after the daemon's restart\)" \
    "$detail"
expect_eq "re-proof: journaled once" 1 "$(reproofs)"
expect_match "re-proof: the journal says where and why" \
    "checksum proof restarted at target position mysql-bin\.[0-9]+:[0-9]+ after the daemon's restart \(the freeze point's snapshots were lost\)" \
    "$(journal)"
ok "re-proof: reverse replication runs again" wait_for 10 reverse_runs
ok "re-proof: no UNTIL left" until_none
expect_eq "re-proof: the paused mark is cleared" "" "$(fact reproof.paused)"
ok "re-proof: the source still follows the target's writes" caught_up
expect_match "status shows the proof" "^proof: +ok: 3 tables" \
    "$(ctl status shop | grep '^proof:')"

# 2. A row changed on the source alone is found.
lose_proof
src_sql "SET sql_log_bin = 0; UPDATE shop.items SET name = 'tampered'
    WHERE id = 4242"
start_daemon
ok "tampered: verdict mismatch" wait_for 60 fact_is proof.verdict mismatch
expect_match "tampered: the detail names the table and the restart" \
    "mismatch at target position .*re-proof after the daemon's restart.*first: shop\.items rows differ" \
    "$(fact proof.detail)"
ok "tampered: reverse replication runs again" wait_for 10 reverse_runs
ok "tampered: no UNTIL left" until_none
src_sql "SET sql_log_bin = 0; UPDATE shop.items SET name = 'item 4242'
    WHERE id = 4242"

# 3. kill -9 while the source waits for the point. The source applies the
# target's writes 15 s late (MASTER_DELAY), so it reaches the point slowly.
# (A lock on the source would not do: MariaDB's STOP SLAVE waits for an
# SQL thread blocked on a lock, so the pause itself would hang.)
lose_proof
inject decommission
src_sql "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 15; START SLAVE"
start_daemon
waiting() {
	[ "$(fact reproof.paused)" = 1 ] &&
	    mdb_root "$T/db" source -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Until_Condition: Master'
}
ok "slow: the source is paused at a point, waiting" wait_for 30 waiting
ok "slow: status shows the re-proof" wait_for 5 sh -c \
    "'$BIN/migratectl' -s '$SOCK' --json status shop | grep -q '\"proof_progress\": *\"re-proof: '"
ok "slow: decommission waits for it" wait_for 5 sh -c \
    "'$BIN/migratectl' -s '$SOCK' --json status shop | grep -q 'decommission waits for the checksum proof (re-proof: '"
expect_eq "slow: still in decommission" decommission \
    "$(ctl --json status shop | jget migrations.0.phase)"
expect_eq "slow: the verdict is unset meanwhile" "" "$(fact proof.verdict)"
ctl approve shop >/dev/null 2>&1
ok "slow: approve refused while the proof runs" test $? -ne 0
kill9_daemon
n0=$(reproofs)
start_daemon
ok "slow: verdict ok after the restart" wait_for 90 fact_is proof.verdict ok
expect_match "slow: the interrupted pause was found" \
    "left paused by an interrupted re-proof" "$(journal)"
expect_eq "slow: one more re-proof" $((n0 + 1)) "$(reproofs)"
ok "slow: reverse replication runs again" wait_for 10 reverse_runs
ok "slow: no UNTIL left" until_none
expect_eq "slow: the paused mark is cleared" "" "$(fact reproof.paused)"

# 4. A verdict on record and the source left paused (a re-proof killed,
# then the verdict set by hand): the start only resumes replication.
stop_daemon
src_sql "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0"
sqlite3 "$STATE" "INSERT OR REPLACE INTO facts (mig, key, value, updated)
    SELECT id, 'reproof.paused', '1', 0 FROM migrations WHERE name = 'shop'" ||
    fail "cannot mark the source paused"
n0=$(reproofs)
start_daemon
ok "repair: reverse replication runs again" wait_for 20 reverse_runs
ok "repair: the paused mark is cleared" wait_for 10 fact_is reproof.paused ""
expect_eq "repair: no new proof" "$n0" "$(reproofs)"
expect_eq "repair: the verdict stays" ok "$(fact proof.verdict)"
ok "repair: the source follows the target's writes again" caught_up

writer_stop
expect_eq "no acknowledged write lost" 0 "$(writer_lost "$REPLICA_PORT")"
stop_daemon
finish
