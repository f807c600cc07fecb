#!/usr/bin/env bash
# traffic.sh: the gates' benchmarks, against the AWS fault endpoint
# (fakeaws in front of moto, tests/integration/aws.sh) and, for the first,
# the real MariaDB pair.
#   rollback_reaction_ms      the worst of 10 breaches: an ECS target made
#                             unhealthy -> the ModifyListener that puts the
#                             weights back reaches AWS (poll_interval 1s,
#                             the breach at a random point of the poll
#                             cycle; target: <= 1100)
#   rollback_reaction_p50_ms  their median
#   poll_lateness_p99_ms      200 migrations in soak, each polling every
#                             second: p99 of how late the pollers' timers
#                             fired over 30 s (migratectl stats; <= 50)
#   poll_lateness_max_ms      the latest of them
# The daemon is not pinned to a CPU: the fake, in Python, needs one of its
# own, and the figures are the loop's, not a wake-up's.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/db.sh"
. "$(dirname "$0")/../integration/aws.sh"

ms() { date +%s%3N; }

aws_start
aws_fixture
db_start

verdict_is() {
	[ "$(ctl --json status shop | jget migrations.0.judgment.verdict)" = "$1" ]
}
at_step_1() {
	[ "$(ctl --json status shop | jget migrations.0.step)" = 1 ] &&
	    phase_is shop shifting && verdict_is pass
}
# first_modify SINCE_MS: time_ms of the first ModifyListener that reached
# the fake at or after SINCE_MS, or nothing.
first_modify() {
	curl -sf "$FAKEAWS_URL/_fake/log?operation=ModifyListener" |
	    python3 -c 'import json, sys
t = [e["time_ms"] for e in json.load(sys.stdin) if e["time_ms"] >= int(sys.argv[1])]
print(min(t) if t else "")' "$1"
}
# pct FILE P: the P-th percentile (nearest rank) of a file of numbers.
pct() {
	sort -n "$1" | awk -v p="$2" '{ v[NR] = $1 } END {
	    r = int((p * NR + 99) / 100); if (r < 1) r = 1; print v[r] }'
}

# --- rollback_reaction_ms: one migration at step 1 (ECS 10%) ---
aws_plan shop
aws_gates_plan "$T/plans/shop.ini" 1s 10m 1h
# Healthy figures for both target groups: no 5xx, p99 200 ms.
metrics 0 0.2 0 0.2
# moto keeps the deployment IN_PROGRESS: say it completed, as ECS would.
fake POST /_fake/ecs-service '{"cluster":"shop","service":"web",
    "rolloutState":"COMPLETED","runningCount":2,"pendingCount":0}'
write_config
sed -i 's/^log_level = debug/log_level = notice/' "$T/migrated.conf"
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null || fail "create shop"
# Replication must run for real: the lag gate reads its heartbeat.
inject seeding
start_daemon
wait_for 90 history_has 'replicating -> shadow' || fail "not in sync"
wait_for 30 history_has 'shadow -> shifting' || fail "shadow not done"
wait_for 20 at_step_1 || fail "step 1 not reached: $(journal | tail -3)"
wait_for 10 weights_are "90 10" || fail "step 1: weights $(weights)"

: > "$T/reaction.txt"
for i in $(seq 10); do
	[ "$FAILS" -eq 0 ] || break
	sleep "0.$(printf '%03d' $((RANDOM % 1000)))"
	before=$(ms)
	unhealthy || fail "round $i: target-health refused"
	t0=$(ms)
	if ! wait_for 10 phase_is shop paused; then
		fail "round $i: no pause after the breach"
		break
	fi
	t1=$(first_modify "$before")
	if [ -z "$t1" ]; then
		fail "round $i: paused without a ModifyListener"
		break
	fi
	echo $((t1 - t0)) >> "$T/reaction.txt"
	weights_are "100 0" || fail "round $i: weights $(weights) after the breach"
	healthy
	ctl resume shop >/dev/null || fail "round $i: resume"
	wait_for 20 at_step_1 ||
	    fail "round $i: not back at step 1: $(journal | tail -2)"
	wait_for 10 weights_are "90 10" || fail "round $i: weights $(weights)"
done
if [ "$(wc -l < "$T/reaction.txt")" -eq 10 ]; then
	echo "BENCH rollback_reaction_ms $(pct "$T/reaction.txt" 100) ms"
	echo "BENCH rollback_reaction_p50_ms $(pct "$T/reaction.txt" 50) ms"
	echo "rollback: reactions $(tr '\n' ' ' < "$T/reaction.txt")ms" >&2
fi
# How regularly the poller read the target health while it watched (from
# each ModifyListener that set step 1 to the one that took it back): a
# gap much above 1 s is a late poll, and a slow reaction.
curl -sf "$FAKEAWS_URL/_fake/log" > "$T/fakelog-rollback.json"
python3 - "$T/fakelog-rollback.json" >&2 <<'PY'
import json, sys
log = sorted(json.load(open(sys.argv[1])), key=lambda e: e["time_ms"])
mods = [e["time_ms"] for e in log if e["operation"] == "ModifyListener"]
th = [e["time_ms"] for e in log if e["operation"] == "DescribeTargetHealth"]
gaps = []
for a, b in zip(mods[0::2], mods[1::2]):
    w = [t for t in th if a <= t <= b]
    gaps += [y - x for x, y in zip(w, w[1:])]
gaps.sort()
if gaps:
    print("rollback: %d DescribeTargetHealth gaps while watching, "
          "median %d ms, max %d ms" % (len(gaps), gaps[len(gaps) // 2],
          gaps[-1]))
PY
stop_daemon
[ "$FAILS" -eq 0 ] || finish

# --- poll_lateness_p99_ms: 200 migrations in soak, one daemon ---
# A daemon of its own: a fresh state file with only these.
STATE=$T/soak.db
LOG=$T/soak.log
fake POST /_fake/reset '{}'
metrics 0 0.2 0 0.2
# The listener as the operator had it: the droplets alone (the first
# benchmark left it at step 1). Nothing set yet: each soak takes it as its
# own, not as drift.
aws_moto elbv2 modify-listener --listener-arn "$listener" --default-actions \
    "[{\"Type\":\"forward\",\"ForwardConfig\":{\"TargetGroups\":[
    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":100},
    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":0}]}}]" >/dev/null
weights_are "100 0" || fail "listener not reset: $(weights)"
write_config
sed -i 's/^log_level = debug/log_level = notice/' "$T/migrated.conf"
start_daemon
# create refuses only a name in use (preflight, skipped here, would refuse
# a second migration on the same listener): they share the fixture.
aws_plan soak
aws_gates_plan "$T/plans/soak.ini" 1s 10m 1h
for i in $(seq 200); do
	cp "$T/plans/soak.ini" "$T/plans/m$i.ini"
	ctl create "$T/plans/m$i.ini" >/dev/null || fail "create m$i"
done
stop_daemon
sqlite3 "$STATE" "UPDATE migrations SET phase = 'soak', resume_to = NULL,
    reason = NULL"
start_daemon
# Each soak reads the listener before its gates' poller starts: with 200
# at once through the fake that takes some seconds. The window opens when
# the pollers tick 200 times a second (`status` of all 200 exceeds the
# reply's 64 KiB); the lateness figures are the daemon's since it started
# (the ramp included), the ticks counted in the window.
ticks() { ctl --json stats | jget poll_lateness.ticks; }
watching() {
	local a
	a=$(ticks)
	sleep 1
	[ $(( $(ticks) - a )) -ge 190 ]
}
wait_for 40 watching || fail "the 200 pollers did not all start"
ticks0=$(ticks)
w0=$(ms)
# Meanwhile, how long the fake takes to answer its own health check.
for i in $(seq 6); do
	sleep 5
	curl -sf -o /dev/null -w '%{time_total}\n' "$FAKEAWS_URL/_fake/health"
done > "$T/health-rtt.txt"
w1=$(ms)
curl -sf "$FAKEAWS_URL/_fake/log" > "$T/fakelog.json"
ctl --json stats > "$T/stats.json" || fail "stats"
printf 'BENCH poll_lateness_p99_ms %.0f ms\n' \
    "$(jget poll_lateness.p99_ms < "$T/stats.json")"
printf 'BENCH poll_lateness_max_ms %.0f ms\n' \
    "$(jget poll_lateness.max_ms < "$T/stats.json")"
phases=$(sqlite3 "$STATE" "SELECT phase, COUNT(*) FROM migrations
    GROUP BY phase" | tr '\n' ' ')
# The fake logs a request when it answers: what came in before the window
# ended and is logged only later was still in flight when its log was read.
sleep 3
curl -sf "$FAKEAWS_URL/_fake/log" > "$T/fakelog2.json"

# What the run looked like, on stderr: the ticks (about 200 * 30), the
# phases, and what the fake served in the window.
ticks=$(( $(jget poll_lateness.ticks < "$T/stats.json") - ticks0 ))
[ "$ticks" -ge 5700 ] || fail "only $ticks ticks in the window (want ~6000)"
[ "$phases" = "soak|200 " ] || fail "migrations left soak: $phases"
python3 - "$T" "$w0" "$w1" "$ticks" "$phases" >&2 <<'PY'
import collections, json, sys
t, w0, w1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
log = json.load(open(t + "/fakelog.json"))
last = max([e["seq"] for e in log] or [0])
later = [e for e in json.load(open(t + "/fakelog2.json"))
         if e["seq"] > last and e["time_ms"] < w1]
win = [e for e in log if w0 <= e["time_ms"] < w1]
ops = collections.Counter(e["operation"] for e in win)
bad = collections.Counter((e["operation"], e["status"]) for e in win
                          if e["status"] != 200)
rtt = sorted(float(x) * 1000 for x in open(t + "/health-rtt.txt"))
s = (w1 - w0) / 1000
print("soak: %s ticks in the window; phases %s" % (sys.argv[4], sys.argv[5].strip()))
print("soak: the fake served %d requests that came in during the %.1f s "
      "(%.0f/s): %s; not 200: %s" % (len(win), s, len(win) / s,
      ", ".join("%s %.0f/s" % (o, n / s) for o, n in ops.most_common()),
      dict(bad) or "none"))
print("soak: %d requests still in flight when the window closed; "
      "/_fake/health answered in %s ms" % (len(later),
      "/".join("%.0f" % r for r in rtt)))
PY
stop_daemon
[ "$FAILS" -eq 0 ]
