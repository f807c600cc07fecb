# t-rehearsal: the rehearsal of `make demo` with assertions. One migration
# goes from create to done by itself (the test only approves
# decommission): every phase in order, 0 writes lost, the checksum proof
# passed, the fleet's two droplets deleted once each and the database's
# droplet untouched, the listener on ECS alone; the webhook got exactly
# one message per event; /metrics says done.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"
. "$(dirname "$0")/rehearsal.sh"

webhook_receiver || { fail "receiver"; finish; }
mport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

rh_start
stop_daemon
printf '\n[notify]\nwebhook_url = http://127.0.0.1:%s/hook\n' \
    "$(cat "$T/hook.port")" >> "$T/plans/shop.ini"
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$mport" >> "$T/migrated.conf"
start_daemon
ok "create to done" rh_drive 150
writer_stop
rh_summary > "$T/summary.txt"
cat "$T/summary.txt" >&2

expect_eq "phases in order" \
    "planned->preflight preflight->seeding seeding->replicating replicating->shadow shadow->shifting shifting->shifting shifting->shifting shifting->ready ready->cutover cutover->full_traffic full_traffic->soak soak->decommission decommission->decommission decommission->done" \
    "$(sqlite3 "$STATE" "SELECT from_phase || '->' || to_phase FROM journal
    WHERE kind = 'transition' ORDER BY id" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"
expect_eq "checksum proof" ok "$(fact proof.verdict)"
expect_match "write gap measured" '^[0-9]+$' "$(fact cutover.write_gap_ms)"
expect_match "droplets: two deleted once each, the database's kept" \
    "droplets deleted: 2 \(each once\); still there: db-1" \
    "$(cat "$T/summary.txt")"
expect_eq "listener on ECS alone" "None 1" \
    "$(printf '%s %s' \
    "$(aws_moto elbv2 describe-listeners --listener-arns "$listener" --query \
    "Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups[?TargetGroupArn=='$tg_do'].Weight | [0]")" \
    "$(aws_moto elbv2 describe-listeners --listener-arns "$listener" --query \
    "Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups[?TargetGroupArn=='$tg_ecs'].Weight | [0]")")"
expect_eq "source read-only after the cutover" 1 \
    "$(src_sql 'SELECT @@global.read_only')"

# One message per event: the phase changes, approval awaited, approved.
sed -e 's/^migrated: shop: //' -e 's/:.*//' "$T/hook.out" > "$T/events"
expect_eq "webhook: exactly the events" \
    "planned -> preflight|preflight -> seeding|seeding -> replicating|replicating -> shadow|shadow -> shifting|shifting -> ready|ready -> cutover|cutover -> full_traffic|full_traffic -> soak|soak -> decommission|decommission approved|DONE" \
    "$(tr '\n' '|' < "$T/events" | sed 's/|$//')"
expect_match "webhook: approval awaited named" \
    "waiting for approval \(migratectl approve shop\)" "$(cat "$T/hook.out")"
expect_match "metrics: done" 'migrated_migration_phase\{migration="shop",phase="done"\} 1' \
    "$(curl -sf "http://127.0.0.1:$mport/metrics")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
