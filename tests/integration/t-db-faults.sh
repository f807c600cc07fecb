# t-db-faults: the faults the database path must survive, on a real
# MariaDB pair with the writer load running throughout:
#   a replica SQL error (a conflicting row on the target) pauses with the
#     server's words, and resumes once fixed, nothing skipped;
#   the source connection killed mid-poll: reconnect, no false transition;
#   a slow drain (the target's apply blocked during the freeze): the source
#     is unfrozen within the freeze timeout, replication kept;
#   SIGKILL of the daemon during the freeze: the restart unfreezes, and
#     starts the target's replication again if the kill left it stopped;
#   the target unreachable at the cutover: no freeze at all.
# At the end the writer, which never left the source, lost nothing, and
# the target has every acknowledged row.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start
db_plan shop "freeze_timeout = 2s"
writer_start 200
db_sync

# --- a replica SQL error pauses, with the server's words ---
inject replicating
start_daemon
ok "replicating again" wait_for 10 phase_is shop replicating
next=$(( $(src_sql 'SELECT MAX(seq) FROM shop.writes') + 100 ))
tgt_sql "SET sql_log_bin = 0; INSERT INTO shop.writes VALUES
    ($next, $next, 0, 'conflict')"
ok "paused on the replica's error" wait_for 20 phase_is shop paused
reason=$(reason_of)
expect_match "reason has the server's error" "error 1062.*Duplicate" "$reason"
expect_match "reason says nothing is skipped" "nothing is skipped" "$reason"
tgt_sql "SET sql_log_bin = 0; DELETE FROM shop.writes WHERE note = 'conflict'"
ctl resume shop >/dev/null
ok "resumed and in sync after the fix" wait_for 30 history_has 'replicating -> shadow' 2

# --- the source connection killed mid-poll ---
inject replicating
start_daemon
ok "replicating" wait_for 10 phase_is shop replicating
for i in 1 2 3; do
	src_sql "SELECT CONCAT('KILL ', ID, ';') FROM information_schema.PROCESSLIST
	    WHERE USER = 'migrate'" | mdb_root "$T/db" source 2>/dev/null
	sleep 0.3
done
ok "in sync despite the kills" wait_for 30 history_has 'replicating -> shadow' 3
expect_eq "no false transition (the one pause is the SQL error's)" 1 \
    "$(journal | grep -cE 'replicating -> (paused|failed)')"

# --- a slow drain: the target cannot apply the freeze marker ---
hold_lock replica migrated.marker 60
sleep 0.5
inject cutover
t0=$(date +%s%N)
start_daemon
ok "cutover abandoned" wait_for 20 history_has 'cutover -> shifting'
expect_eq "the source is writable" 0 "$(src_sql 'SELECT @@global.read_only')"
held=$(journal | grep -o 'source read-only for [0-9]* ms' | tail -1 | grep -o '[0-9]*')
expect_match "frozen for a while" '^[0-9]+$' "$held"
[ "${held:-99999}" -le 2600 ] && pass || fail "frozen $held ms, budget 2000"
expect_match "the reason names the budget" "exceeded its 2000 ms budget" \
    "$(journal | grep 'cutover -> shifting' | tail -1)"
release_lock replica
ok "replication kept: the target catches up" wait_for 20 \
    sql_ge replica 'SELECT COUNT(*) FROM migrated.marker' 1

# --- SIGKILL during the freeze ---
hold_lock replica migrated.marker 60
sleep 0.5
inject cutover
start_daemon
ok "frozen" wait_for 10 sql_is source 'SELECT @@global.read_only' 1
kill9_daemon
expect_eq "still frozen while the daemon is down" 1 \
    "$(src_sql 'SELECT @@global.read_only')"
release_lock replica
# As if the kill fell between the promotion's STOP and its RESET: the
# target still has its source, but its threads are stopped.
tgt_sql "STOP SLAVE"
start_daemon
ok "the restart unfreezes" wait_for 15 sql_is source 'SELECT @@global.read_only' 0
ok "and returns to shifting" wait_for 15 history_has 'cutover -> shifting' 2
expect_match "the journal says why" "stopped during the freeze" "$(journal)"
replica_running() {
	[ "$(mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
	    grep -c '_Running: Yes')" = 2 ]
}
ok "the undo starts the target's replication again" wait_for 15 \
    replica_running

# --- the writer switch fails after the target was promoted ---
touch "$T/switch.fail"
inject cutover
start_daemon
ok "cutover undone after the failed switch" wait_for 20 \
    history_has 'cutover -> shifting' 3
rm -f "$T/switch.fail"
expect_match "the reason names the switch" "writer switch failed" \
    "$(journal | grep 'cutover -> shifting' | tail -1)"
expect_eq "the source is writable" 0 "$(src_sql 'SELECT @@global.read_only')"
expect_eq "reverse replication is gone from the source" "" \
    "$(src_sql 'SHOW SLAVE STATUS')"
replicating_again() {
	mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Slave_SQL_Running: Yes'
}
ok "the target replicates from the source again" wait_for 10 replicating_again
expect_match "restored from the final position" "restore replication" \
    "$(journal | grep 'intent sql' | tail -1)"

# --- the target unreachable at the cutover ---
rpid=$(mdb_pid "$T/db" replica)
kill -STOP "$rpid"
inject cutover
( while :; do src_sql 'SELECT @@global.read_only' 2>/dev/null; sleep 0.05; done ) > "$T/ro.log" &
ropid=$!
start_daemon
ok "abandoned without a freeze" wait_for 30 history_has 'cutover -> shifting' 4
kill "$ropid"; wait "$ropid" 2>/dev/null
kill -CONT "$rpid"
expect_match "the reason says nothing was frozen" "nothing was frozen" \
    "$(journal | grep 'cutover -> shifting' | tail -1)"
expect_eq "the source was never read-only" "" "$(grep -x 1 "$T/ro.log" | head -1)"

sleep 1
writer_stop
expect_eq "nothing lost on the source" 0 "$(writer_lost "$SOURCE_PORT")"
ok "the target has every acknowledged row" wait_for 30 lost_is "$REPLICA_PORT" 0
stop_daemon
finish
