# t-verify-rds: the data comparison before the cutover on the default,
# RDS-shaped target (RDS for MariaDB: its master user may not STOP SLAVE
# and RDS has no mysql.rds_start_replication_until for MariaDB), so the
# snapshot method cannot run and the replicated checksums do: each chunk's
# checksum is logged by statement on the source and run again by the
# target's real replication, then compared in migrated.checksums on the
# target. With the writer load throughout.
#  - `migratectl verify` while shifting: identical, the method named in
#    status and the journal, every chunk's row on the target;
#  - the target's SQL thread stopped: the comparison fails saying so;
#  - a row changed on the target by hand: found with its table and key
#    range, and the migration pauses;
#  - a kill -9 while the target applies the checksums late: nothing was
#    stopped, and the next comparison is a new run that passes;
#  - cutover.verify_before (the default) finds another such row in ready
#    and pauses; fixed and resumed, it passes and the cutover goes on,
#    with no write lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

aws_start
aws_fixture
db_start
db_items
aws_plan shop
aws_gates_plan "$T/plans/shop.ini" 200ms 10m 2s
grep -q '^kind = rds$' "$T/plans/shop.ini" || fail "the plan's target is not rds"

metrics 0 0.2 0 0.2
fake POST /_fake/ecs-service '{"cluster":"shop","service":"web",
    "rolloutState":"COMPLETED","runningCount":2,"pendingCount":0}'
writer_start 200
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
inject seeding
start_daemon

vjson() { ctl --json status shop | jget "migrations.0.verify.$1"; }
verdict_is() { [ "$(vjson state)" = "$1" ]; }
target_replicates() {
	mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Slave_SQL_Running: Yes'
}
lag_below() {
	local l
	l=$(ctl --json status shop | jget migrations.0.lag.heartbeat_ms)
	[ -n "$l" ] && [ "$l" != null ] && [ "$l" -lt "$1" ]
}
tamper() {
	tgt_sql "SET sql_log_bin = 0; UPDATE shop.items SET name = 'by hand'
	    WHERE id = $1"
}
untamper() {
	tgt_sql "SET sql_log_bin = 0; UPDATE shop.items SET name = 'item $1'
	    WHERE id = $1"
}

ok "in sync, into shadow" wait_for 90 history_has 'replicating -> shadow'
ok "shifting" wait_for 30 history_has 'shadow -> shifting'

# 1. verify while shifting, through replicated checksums.
ctl verify shop >/dev/null; ok "verify: accepted" test $? -eq 0
ok "verify: ok" wait_for 90 verdict_is ok
expect_match "verify: the detail says what was compared, and how" \
    "3 tables, [0-9]+ chunks, [0-9]+ rows identical through replication \(replicated checksums, run [0-9]+\)" \
    "$(vjson detail)"
expect_eq "verify: status names the method" "replicated checksums" \
    "$(vjson method)"
ok "verify: the journal says which method ran, and why" history_has \
    'verify: method: replicated checksums, since the target is RDS for MariaDB'
expect_match "verify: status has its size" '^[1-9][0-9]*$' \
    "$(vjson rows_estimated)"
rows=$(vjson report.rows)
ok "verify: the report counts the rows compared (items and tags at least)" \
    test "${rows:-0}" -ge 5300
chunks=$(vjson report.chunks)
expect_eq "verify: the target holds every chunk's checksum, computed there" \
    "$chunks" "$(tgt_sql 'SELECT COUNT(*) FROM migrated.checksums
    WHERE chunk > 0 AND this_cnt = master_cnt AND this_a <=> master_a')"
expect_eq "verify: the source logged the checksums alone by statement" \
    ROW "$(src_sql 'SELECT @@GLOBAL.binlog_format')"
ok "verify: the target replicates" target_replicates
expect_eq "verify: still shifting" shifting "$(phase_of shop)"
expect_match "verify: human status" "^verify: +ok: 3 tables" \
    "$(ctl status shop | grep '^verify:')"

# The target's SQL thread stopped: the checksums cannot arrive, and the
# comparison says why instead of waiting (its replica status read as
# lag.c reads it, through mysql.rds_replica_status). The lag gate is
# widened meanwhile: a stopped SQL thread is lag too.
ctl set shop gates.max_lag=5m >/dev/null
mdb_root "$T/db" replica -e "STOP SLAVE SQL_THREAD"
ctl verify shop >/dev/null
ok "stopped: the comparison fails" wait_for 60 verdict_is error
expect_match "stopped: it says the target's replication is not running" \
    "its replication is not running \(IO thread Yes, SQL thread No\)" \
    "$(vjson detail)"
expect_eq "stopped: migratectl verify does not pause for it" shifting \
    "$(phase_of shop)"
mdb_root "$T/db" replica -e "START SLAVE SQL_THREAD"
ok "stopped: the target replicates again" wait_for 10 target_replicates
ok "stopped: the lag is gone" wait_for 30 lag_below 1000
ctl set shop gates.max_lag=5s >/dev/null

# 2. A row changed on the target by hand: found, named, paused.
tamper 4242
ctl verify shop >/dev/null
ok "tampered: paused" wait_for 90 phase_is shop paused
expect_match "tampered: the reason names the table and the key range" \
    "verify: .*1 difference between source and target through replication \(replicated checksums, run [0-9]+\): shop\.items rows differ in id \([0-9]+, [0-9]+\]" \
    "$(reason_of)"
expect_eq "tampered: verdict" mismatch "$(vjson state)"
ok "tampered: the target replicates" target_replicates

# A kill -9 while the target applies the checksums 15 s late: nothing to
# repair, and the next comparison is a run of its own.
mdb_root "$T/db" replica -e "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 15;
    START SLAVE"
untamper 4242
ctl verify shop >/dev/null
waiting() { vjson progress | grep -q 'the target has applied'; }
ok "slow: status shows it waits for the target" wait_for 60 waiting
kill9_daemon
start_daemon
mdb_root "$T/db" replica -e "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0;
    START SLAVE"
ok "slow: after the restart the target replicates" wait_for 20 \
    target_replicates
# Another migration's run on the same source, in progress: kept.
src_sql "INSERT INTO migrated.checksums (run, chunk, owner, db, tbl)
    VALUES (1, 0, 'other', '', '')"
ctl verify shop >/dev/null 2>&1
ok "slow: a new comparison passes" wait_for 90 verdict_is ok
runs=$(tgt_sql "SELECT COUNT(DISTINCT run) FROM migrated.checksums
    WHERE owner = 'shop'")
expect_eq "slow: the interrupted run's rows are gone" 1 "$runs"
expect_eq "slow: another migration's rows are kept" 1 \
    "$(tgt_sql "SELECT COUNT(*) FROM migrated.checksums WHERE owner = 'other'")"
ctl resume shop >/dev/null
ok "resumed: shifting" wait_for 10 phase_is shop shifting

# 3. verify_before: the last step baked, the comparison runs in ready and
# finds another row changed by hand; then, fixed, it passes.
tamper 17
ctl set shop traffic.bake=2s >/dev/null
ok "ready: the comparison before the cutover pauses" wait_for 120 \
    history_has 'ready -> paused'
expect_match "ready: the reason names the table" \
    "shop\.items rows differ in id" "$(reason_of)"
ok "ready: no cutover" test "$(journal | grep -c 'ready -> cutover')" -eq 0
untamper 17
ctl resume shop >/dev/null
ok "fixed: the comparison passes, the cutover goes on" wait_for 120 \
    history_has 'ready -> cutover'
ok "the comparison before it was journaled" history_has \
    'verify: ok: 3 tables'
ok "writer switched" wait_for 60 history_has 'cutover -> full_traffic'

writer_stop
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
