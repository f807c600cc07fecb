# t-verify: the data comparison before the cutover, at a consistent point
# reached through replication (the source's snapshot and binlog position,
# the target's replication stopped at exactly that position), against the
# real MariaDB pair with the writer load and the AWS fault endpoint. The
# target is self-managed (target.kind = mysql, an account that may STOP
# SLAVE): RDS for MariaDB cannot stop its replication at a position.
#  - `migratectl verify` while shifting: identical, with its size in
#    status, and the target's replication running again after it;
#  - a row changed on the target by hand: `verify` finds it, names the
#    table and the key range, and pauses the migration;
#  - a kill -9 while the target waits for the point: the restart starts
#    its replication again;
#  - cutover.verify_before (the default) finds another such row when the
#    last step has baked, and pauses in ready; fixed, resumed, the
#    comparison passes and the cutover goes on, with no write lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

aws_start
aws_fixture
db_start
db_items
# A self-managed target's administrator: everything, replication too.
echo dba-test-pw > "$T/dba.pw"
chmod 600 "$T/dba.pw"
tgt_sql "SET sql_log_bin = 0; CREATE USER 'dba'@'%' IDENTIFIED BY 'dba-test-pw';
    GRANT ALL PRIVILEGES ON *.* TO 'dba'@'%' WITH GRANT OPTION" ||
    fail "cannot make the target's dba account"
aws_plan shop
aws_gates_plan "$T/plans/shop.ini" 200ms 10m 2s
sed -i -e "s|^kind = rds\$|kind = mysql|" -e "s|^user = admin\$|user = dba|" \
    -e "s|^password_file = $ADMIN_PASSWORD_FILE\$|password_file = $T/dba.pw|" \
    "$T/plans/shop.ini"

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
	local st
	st=$(mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G')
	echo "$st" | grep -q 'Slave_SQL_Running: Yes' &&
	    echo "$st" | grep -q 'Until_Condition: None'
}
# tamper ID: a row of shop.items changed on the target alone.
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

# 1. verify while shifting: identical, sized, replication running again.
ctl verify shop >/dev/null; ok "verify: accepted" test $? -eq 0
ok "verify: ok" wait_for 60 verdict_is ok
expect_match "verify: the detail says what was compared, and where" \
    "3 tables, [0-9]+ chunks, [0-9]+ rows identical at source position mysql-bin\.[0-9]+:[0-9]+" \
    "$(vjson detail)"
expect_eq "verify: status names the method" snapshots "$(vjson method)"
ok "verify: so does the journal" history_has 'verify: method: snapshots'
expect_match "verify: status has its size" '^[1-9][0-9]*$' \
    "$(vjson rows_estimated)"
expect_match "verify: status has its time" '^[0-9]+$' "$(vjson elapsed_ms)"
rows=$(vjson report.rows)
ok "verify: the report counts the rows compared (items and tags at least)" \
    test "${rows:-0}" -ge 5300
ok "verify: the target replicates again, no UNTIL left" wait_for 10 \
    target_replicates
expect_eq "verify: the paused mark is cleared" "" "$(fact verify.paused)"
expect_eq "verify: still shifting" shifting "$(phase_of shop)"
expect_match "verify: human status" "^verify: +ok: 3 tables" \
    "$(ctl status shop | grep '^verify:')"

# 2. A row changed on the target by hand: found, named, paused.
tamper 4242
ctl verify shop >/dev/null
ok "tampered: paused" wait_for 60 phase_is shop paused
expect_match "tampered: the reason names the table and the key range" \
    "verify: .*1 difference between source and target at source position mysql-bin\.[0-9]+:[0-9]+: shop\.items rows differ in id \(([0-9]+|-inf), ([0-9]+|\+inf)\]" \
    "$(reason_of)"
expect_eq "tampered: verdict" mismatch "$(vjson state)"
ok "tampered: the target replicates again" wait_for 10 target_replicates
ctl verify shop >/dev/null 2>&1
expect_eq "verify while paused after shifting: accepted" 0 $?
ok "verify while paused: mismatch again" wait_for 60 verdict_is mismatch

# A kill -9 while the target's replication waits for the point (it
# applies the source's writes 15 s late): the restart starts it again.
mdb_root "$T/db" replica -e "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 15;
    START SLAVE"
ctl verify shop >/dev/null
waiting() {
	[ "$(fact verify.paused)" = 1 ] &&
	    mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Until_Condition: Master'
}
ok "slow: the target waits for the point" wait_for 30 waiting
expect_match "slow: status shows where it is" "^verify: .*replicates up to" \
    "$(vjson progress)"
kill9_daemon
start_daemon
ok "slow: after the restart the target replicates again" wait_for 20 \
    target_replicates
ok "slow: the paused mark is cleared" wait_for 10 fact_is verify.paused ""
ok "slow: the interrupted pause was found" history_has \
    'replication on the target was left paused by an interrupted verify'
mdb_root "$T/db" replica -e "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY = 0;
    START SLAVE"
untamper 4242
ctl resume shop >/dev/null
ok "resumed: shifting" wait_for 10 phase_is shop shifting

# 3. verify_before: the last step baked, the comparison runs in ready and
# finds another row changed by hand; then, fixed, it passes.
tamper 17
ctl set shop traffic.bake=2s >/dev/null
ok "ready: the comparison before the cutover pauses" wait_for 90 \
    history_has 'ready -> paused'
expect_match "ready: the reason names the table" \
    "shop\.items rows differ in id" "$(reason_of)"
expect_eq "ready: resume returns to ready" ready \
    "$(ctl --json status shop | jget migrations.0.resume_to)"
ok "ready: no cutover" test "$(journal | grep -c 'ready -> cutover')" -eq 0
untamper 17
ctl resume shop >/dev/null
ok "fixed: the comparison passes, the cutover goes on" wait_for 90 \
    history_has 'ready -> cutover'
ok "the comparison before it was journaled" history_has \
    'verify: ok: 3 tables'
ok "writer switched" wait_for 60 history_has 'cutover -> full_traffic'
ctl verify shop >/dev/null 2>&1
expect_eq "verify after the cutover: refused" 1 $?

writer_stop
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
