# t-catchup: a target that cannot catch up is named, not waited on in
# silence. While replicating, status and /metrics show the pace (the
# source's commits and binary log bytes a second, the target's, the
# backlog, whether it catches up); a table locked on the target stops the
# apply while the writer load goes on, and after replicating.max_catchup
# (3s here) the daemon alerts once (journal, webhook, status, metrics)
# with the rates and what would help: the target's parallel apply,
# named with the values it has. Released, the lag makes progress again
# (journaled) and the migration goes on. Before: `migratectl check` warns
# that the target applies on one thread while the source has many
# sessions.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start
webhook_receiver
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_config
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$port" >> "$T/migrated.conf"
db_plan shop "" "[replicating]
max_catchup = 3s

[notify]
webhook_url = http://127.0.0.1:$(cat "$T/hook.port")/hooks/T000/B000/XXXX"
# Heartbeats every 20 ms: the 256 the lag remembers span 5 s, which the
# held lock outlasts (the lag read past the ring).
sed -i 's/^heartbeat_interval = .*/heartbeat_interval = 20ms/' \
    "$T/plans/shop.ini"
db_items
writer_start 100

# Preflight: one applier thread on the target, sessions on the source.
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
for i in 1 2 3 4 5; do
	mdb_as "$T/db" source app -e "SELECT SLEEP(20)" >/dev/null 2>&1 &
done
wait_for 10 sql_ge source "SELECT COUNT(*) FROM information_schema.PROCESSLIST
    WHERE INFO LIKE 'SELECT SLEEP(20)%'" 5
json=$(ctl --json check shop)
row() {	# row NAME FIELD: a check's field in $json
	printf '%s' "$json" | python3 -c '
import json, sys
for c in json.load(sys.stdin)["checks"]:
    if c["name"] == sys.argv[1]:
        print(c.get(sys.argv[2]))
' "$1" "$2"
}
expect_eq "check: parallel apply warns" warn "$(row target.parallel_apply status)"
expect_match "check: one thread, the source's sessions" \
    'one thread \(slave_parallel_threads = 0\) while the source has [0-9]+ other client connections' \
    "$(row target.parallel_apply detail)"
expect_match "check: the fix names the setting" \
    'set slave_parallel_threads = 4' "$(row target.parallel_apply fix)"
mdb_root "$T/db" source -N -e "SELECT CONCAT('KILL ', ID, ';') FROM
    information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%'" |
    mdb_root "$T/db" source 2>/dev/null
stop_daemon
db_sync

st() { ctl --json status shop | jget "migrations.0.$1"; }
inject replicating
hold_lock replica shop.items 60
start_daemon
src_sql "UPDATE shop.items SET price = price + 1 WHERE id = 7"
ok "the alert is journaled" wait_for 30 history_has \
    '^alert .*not catching up.*replicating.max_catchup 3s'
alert=$(journal | grep '^alert' | head -1)
expect_match "the alert has the pace" \
    'the source commits [0-9]+/s \([0-9.]+ [kMG]B/s of binary log\), the target applies [0-9.]+ [kMG]B/s' \
    "$alert"
expect_match "the alert names parallel apply with the target's values" \
    'slave_parallel_threads = 0, slave_parallel_mode = [a-z]+\); set slave_parallel_threads = 4 .*RDS instance.s DB parameter group' \
    "$alert"
ok "the webhook has it" wait_for 10 grep -q 'not catching up' "$T/hook.out"
expect_eq "status: the alert" True "$(st lag.catchup.alert)"
expect_eq "status: not catching up" False "$(st lag.catchup.catching_up)"
expect_match "status: the source's commits a second" '^[0-9.]+$' \
    "$(st lag.catchup.source_commits_s)"
expect_match "status: a backlog" '^[1-9][0-9]*$' \
    "$(st lag.catchup.backlog_bytes)"
expect_match "the progress line says so" 'not catching up' "$(st progress)"
expect_match "migratectl status: the pace line" \
    'pace: +source [0-9]+ commits/s, [0-9.]+ [kM]B/s; target [0-9.]+ [kM]B/s; [0-9.]+ [kM]B behind; not catching up, no progress for .* \(max_catchup 3s\): ALERT' \
    "$(ctl status shop)"
curl -sf "http://127.0.0.1:$port/metrics" > "$T/metrics.txt"
expect_eq "metrics: the alert" 'migrated_catchup_alert{migration="shop"} 1' \
    "$(grep '^migrated_catchup_alert' "$T/metrics.txt")"
expect_match "metrics: the rates" \
    'migrated_binlog_bytes_per_second\{migration="shop",side="source"\} [0-9.e+]+' \
    "$(grep '^migrated_binlog_bytes_per_second' "$T/metrics.txt")"
expect_eq "one alert" 1 "$(journal | grep -c '^alert')"
hb_over() { [ "$(st lag.heartbeat_ms)" -ge "$1" ] 2>/dev/null; }
ok "the lag grows past the heartbeats remembered" wait_for 20 hb_over 7000

release_lock replica
ok "progress again, journaled" wait_for 20 history_has \
    'makes progress again after the catch-up alert'
ok "then in sync" wait_for 30 history_has 'replicating -> shadow' 2
expect_eq "status: caught up" 0 "$(st lag.catchup.eta_ms)"
writer_stop
stop_daemon
finish
