# t-lowtraffic: the rehearsal at low traffic (the endpoint serves 30
# requests a minute for the droplets over the last day, and for ECS in
# the newest minute). The shipped per-datapoint habit (min_requests 50,
# second-long bakes) is refused at create with the bake that would do; a
# plan short at its first step is refused with the first step that would
# do, and that plan, as suggested, goes from create to done. On the way:
# a step whose ECS datapoints vanish alerts after gates.max_hold and
# pauses (journal, status, webhook, /metrics), and traffic.load_hook runs
# during each bake, is stopped when the step is left, and a load hook
# left by a daemon killed with SIGKILL is killed at the next start.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"
. "$(dirname "$0")/rehearsal.sh"

webhook_receiver || { fail "receiver"; finish; }
eval "rh_cleanup() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() {
	# No load generator may outlive the test, whatever failed.
	[ -f "$T/load.pids" ] && awk '$1 ~ /^[0-9]+$/ { print $1 }' \
	    "$T/load.pids" | xargs -r kill -9 2>/dev/null
	rh_cleanup
}
mport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# low_metrics [ECS]: 30 requests a minute; ECS's newest minute only
# (no ECS datapoint at all without ECS).
low_metrics() {
	local ecs=""
	[ -n "${1:-}" ] && ecs="\"$tg_ecs_dim\": [30],"
	fake POST /_fake/metrics "{\"values\": {
	    \"RequestCount\": {$ecs \"$tg_do_dim\": $(/usr/bin/python3 -c 'print([30] * 1440)')},
	    \"HTTPCode_Target_5XX_Count\": {\"$tg_ecs_dim\": [0], \"$tg_do_dim\": [0]},
	    \"TargetResponseTime\": {\"$tg_ecs_dim\": {\"p99\": [0.118]},
	        \"$tg_do_dim\": {\"p99\": [0.131]}}}}" >/dev/null
}
# load_pid N: the pid of the Nth load hook started (empty if none yet).
load_pid() { awk '$1 ~ /^[0-9]+$/' "$T/load.pids" 2>/dev/null | sed -n "${1}p" | cut -d' ' -f1; }
load_started() { [ -n "$(load_pid "$1")" ]; }
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
metric() { curl -sf "http://127.0.0.1:$mport/metrics" | grep -E "^$1" ; }
st() { ctl --json status shop | jget "migrations.0.$1"; }

rh_start
stop_daemon
low_metrics ecs
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$mport" >> "$T/migrated.conf"
cat > "$T/load.sh" <<SH
#!/bin/sh
# A load generator: says who it is and which step, until stopped.
echo "\$\$ \$MIGRATED_STEP \$MIGRATED_ECS_WEIGHT" >> "$T/load.pids"
trap 'echo "stop \$\$" >> "$T/load.pids"; exit 0' TERM
while :; do sleep 0.1; done
SH
chmod +x "$T/load.sh"
start_daemon

# The habit of per-datapoint gates: min_requests 50, a bake of seconds.
sed -i 's/^min_requests = .*/min_requests = 50/' "$T/plans/shop.ini"
if out=$(ctl create "$T/plans/shop.ini" 2>&1); then
	fail "a plan that can never gather min_requests was created: $out"
fi
expect_match "refused at create, with the bake that would do" \
    "step 10 %: about 0\.1 requests in 2s, under gates\.min_requests 50; use bake >= 17m$" \
    "$out"
expect_match "the refusal gives the traffic it read" \
    "30\.0 requests a minute over the last 24 h" "$out"
expect_eq "nothing created" "" "$(ctl list 2>/dev/null | grep shop)"

# A plan short at its first step only: the first step that would do.
sed -i -e 's/^min_requests = .*/min_requests = 3/' \
    -e 's/^bake = .*/bake = 20s/' -e 's/^steps = .*/steps = 10, 30, 50/' \
    -e "s|^soak = .*|soak = 3s\\
load_hook = $T/load.sh|" "$T/plans/shop.ini"
printf '\n[notify]\nwebhook_url = http://127.0.0.1:%s/hook\n' \
    "$(cat "$T/hook.port")" >> "$T/plans/shop.ini"
if out=$(ctl create "$T/plans/shop.ini" 2>&1); then
	fail "a plan short at step 10 % was created: $out"
fi
expect_match "refused, with the first step that would do" \
    "step 10 %: about 1\.0 requests in 20s, under gates\.min_requests 3; use bake >= 1m or start at 30 %$" \
    "$out"
# As suggested: start at 30 %.
sed -i 's/^steps = .*/steps = 30, 50/' "$T/plans/shop.ini"
out=$(ctl create "$T/plans/shop.ini" 2>&1)
expect_match "the suggested plan is created" "^created shop" "$out"
expect_match "create shows the estimate per step" \
    "traffic: 30\.0 requests a minute \(last 24 h\); requests to ECS per bake: rule: \? 30%: 3 50%: 5" \
    "$out"

# check holds the steps against the traffic too, as create does.
row() { printf '%s' "$1" | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(c["status"] + ": " + c["detail"] + " | " + (c["fix"] or "")
    for c in d["checks"] if c["name"] == sys.argv[1]))' "$2"; }
out=$(ctl --json check shop 2>&1)
expect_match "check: the steps reach min_requests" \
    "^pass: 30\.0 requests a minute: about 3 in a bake at 30 %, min_requests 3 " \
    "$(row "$out" aws.traffic)"
ctl set shop gates.min_requests=50 >/dev/null
out=$(ctl --json check shop 2>&1)
expect_match "check: a step short of min_requests fails, with the fix" \
    "^fail: at 30\.0 requests a minute over the last 24 h, step 30 %: about 3\.0 requests in 20s, under gates\.min_requests 50; use bake >= 6m \| use a longer traffic\.bake" \
    "$(row "$out" aws.traffic)"
ctl set shop gates.min_requests=3 >/dev/null
expect_eq "check changed nothing" planned "$(phase_of shop)"

# Step 1 (the rule) bakes with its load hook; then ECS's datapoints go.
ctl set shop gates.max_hold=2s >/dev/null
ctl start shop >/dev/null
ok "step 1: the load hook runs" wait_for 120 load_started 1
p1=$(load_pid 1)
ok "step 1: its process is alive" alive "$p1"
expect_eq "the load hook is told the step" "1 0" \
    "$(awk -v p="$p1" '$1 == p { print $2, $3 }' "$T/load.pids")"
low_metrics
ok "no datapoints: the gates hold" wait_for 45 history_has \
    'alert: step 1 (Method B rule) held on missing data'
ok "after max_hold: paused" wait_for 10 phase_is shop paused
expect_match "the alert names the missing data and gates.max_hold" \
    "held on missing data [0-9]+s past its bake, over gates.max_hold 2s: no ALB datapoint for the ECS target group" \
    "$(reason_of)"
expect_eq "status: hold alert" True "$(st hold.alert)"
expect_match "status, for people: the hold and its alert" \
    "held on missing data for [0-9.]+ ?s \(max_hold 2 ?s, then pause\): ALERT" \
    "$(ctl status shop)"
expect_match "metrics: the hold alert" \
    'migrated_gates_hold_alert\{migration="shop"\} 1' "$(metric migrated_gates_hold_alert)"
expect_match "metrics: held seconds" \
    'migrated_gates_held_seconds\{migration="shop"\} [0-9.]+' "$(metric migrated_gates_held_seconds)"
ok "webhook: the pause names the hold" wait_for 10 grep -q \
    "paused in shifting: alert: step 1 (Method B rule) held on missing data" "$T/hook.out"
ok "the load hook stopped when the step was left" wait_for 5 gone "$p1"
ok "it was stopped with SIGTERM" grep -q "^stop $p1\$" "$T/load.pids"
ok "the load hook's end journaled" wait_for 5 history_has 'load_hook stopped'

# Data back, resume: the step bakes again with a new load hook; kill -9
# in the middle of the bake leaves it running, the next start kills it.
low_metrics ecs
ctl resume shop >/dev/null
ok "resumed: a new load hook" wait_for 20 load_started 2
p2=$(load_pid 2)
kill9_daemon
ok "a crash leaves the load hook running" alive "$p2"
start_daemon
ok "the next start kills the one left over" wait_for 10 gone "$p2"
ok "journaled" history_has 'load_hook left running by an earlier daemon was killed'
ok "the bake goes on with a new load hook" wait_for 20 load_started 3

# on_hold = wait: the alert, and the step waits on for its data.
ctl set shop gates.on_hold=wait >/dev/null
low_metrics
ok "wait: alerted" wait_for 45 history_has \
    'held on missing data .*waiting on (gates.on_hold = wait)'
ok "wait: the webhook's ALERT" wait_for 10 grep -q \
    "^migrated: shop: ALERT: alert: step 1 (Method B rule) held" "$T/hook.out"
ok "wait: still shifting" phase_is shop shifting
low_metrics ecs
ok "wait: data again, journaled" wait_for 30 history_has \
    'the gates have data again after the hold alert'

ok "the suggested plan reaches done" rh_drive 240
expect_eq "a load hook for each step, told its weight" "1 0|2 30|3 50" \
    "$(awk '$1 ~ /^[0-9]+$/ { print $2, $3 }' "$T/load.pids" | sort -u |
    tr '\n' '|' | sed 's/|$//')"
for p in $(awk '$1 ~ /^[0-9]+$/ { print $1 }' "$T/load.pids"); do
	ok "load hook $p ended" gone "$p"
done
expect_eq "status: no hold after done" null "$(st hold)"
expect_match "metrics: done" 'migrated_migration_phase\{migration="shop",phase="done"\} 1' \
    "$(curl -sf "http://127.0.0.1:$mport/metrics")"
writer_stop
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
