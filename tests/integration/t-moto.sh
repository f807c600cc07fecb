# t-moto: the traffic phases against moto itself, for fidelity: the
# daemon's [aws] endpoints point straight at moto_server, with no fault
# proxy in between to fill in what moto does not do. The fixture is built
# through the fake (aws_fixture) and checked straight in moto. Where moto
# differs from AWS the test says so, in a comment and in a check that
# fails the day moto changes:
# - ECS: moto sets a deployment's rolloutState once, at CreateService, and
#   never updates its deployments; UpdateService only sets the service's
#   runningCount to the new desiredCount at once. A default moto's
#   rollout is IN_PROGRESS for ever, so shadow must wait; a moto started
#   with MOTO_ECS_SERVICE_RUNNING=1 says COMPLETED from the start (at
#   2, more than the service's desired 1, its pendingCount is -1, which
#   the daemon rightly refuses as a bad task count).
# - CloudWatch: GetMetricData matches dimensions in the order they were
#   put (moto's Dimension.__lt__ is broken, so its sort keeps the order),
#   and knows no extended statistic: a p99 query over data is None, which
#   moto cannot serialise (500). So no step bakes out, no soak passes and
#   promote is refused: no data is never a pass.
# Preflight's AWS part passes (only DigitalOcean is left); the listener's
# weights and the Method B rule are set and read back from moto's
# listener; full traffic leaves ECS alone; an abort from shifting puts
# every user back on the droplets.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

# The ECS moto: a second fakeaws whose moto has MOTO_ECS_SERVICE_RUNNING=1
# in its environment (fakeaws spawns moto_server with its own environment;
# bash exports an assignment before a function call to the commands the
# function runs). Only the daemon's ECS endpoint is moved to it, once the
# default moto's stall is shown; the ALB, CloudWatch and STS stay in the
# first moto.
MOTO_ECS_SERVICE_RUNNING=1 aws_start
ECS_FPID=$FPID ECS_MOTO_PID=$MOTO_PID ECS_URL=$MOTO_URL ECS_FAKE=$FAKEAWS_URL
rm -f "$T/aws.env"
eval "moto_next_cleanup() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() {
	fake_stop "$ECS_FPID" "$ECS_MOTO_PID"
	moto_next_cleanup
}
aws_start
aws_fixture
# The daemon talks to moto, not to the fake (write_config reads this).
AWS_TEST_URL=$MOTO_URL
write_config
expect_match "the daemon's endpoints are moto's" \
    "^endpoint_elasticloadbalancing = $MOTO_URL\$" "$(cat "$T/migrated.conf")"

aws_ecs() { aws_at "$ECS_URL" "$@"; }
# The fixture's service again, in the ECS moto (no network configuration:
# that moto has no VPC, and moto does not ask for one).
aws_service aws_ecs >/dev/null
expect_eq "ECS moto: the environment reached moto (COMPLETED at once)" \
    "COMPLETED	1" "$(aws_ecs ecs describe-services --cluster shop \
    --services web --query 'services[0].deployments[0].[rolloutState,runningCount]')"

db_start
aws_plan shop
aws_gates_plan "$T/plans/shop.ini" 200ms 2s 2s "/api/*"

st() { ctl --json status shop | jget "migrations.0.$1"; }
step_is() { [ "$(st step)" = "$1" ] && phase_is shop shifting; }
# judged VERDICT DETAIL_REGEX: the gates' last judgment.
judged() {
	[ "$(st judgment.verdict)" = "$1" ] &&
	    st judgment.detail | grep -Eq -- "$2"
}
progress_has() { st progress | grep -Eq -- "$1"; }
# promote_refused: promote fails, and says it is the gates.
promote_refused() {
	local out
	if out=$(ctl promote shop 2>&1); then
		fail "promote accepted while the gates hold: $out"
		return
	fi
	expect_match "promote refused, naming the gates" \
	    "gates have not held" "$out"
}
# ecs_svc QUERY [URL]: the service, read straight from a moto.
ecs_svc() {
	aws_at "${2:-$MOTO_URL}" ecs describe-services --cluster shop \
	    --services web --query "services[0].$1"
}
# The ALB's datapoints, now, in moto. The dimensions go in the daemon's
# order, TargetGroup then LoadBalancer: moto matches them in put order.
# put_alb TG_DIM NAME VALUE...
put_alb() {
	local tg=$1 name=$2; shift 2
	aws_moto cloudwatch put-metric-data --namespace AWS/ApplicationELB \
	    --metric-name "$name" \
	    --dimensions "TargetGroup=$tg,LoadBalancer=$lb_dim" "$@"
}

DO_ONLY="^DigitalOcean: ListDroplets: ConnectionError: .*; check decommission.do_token_file and traffic.droplet_tag$"

# Preflight's AWS part against moto: STS (credentials and clock), the
# listener, the target groups, the ECS service, the alarm.
start_daemon
preflight shop
expect_match "preflight against moto: only DigitalOcean is left" "$DO_ONLY" \
    "$(st reason)"
ok "preflight: moto's identity" grep -q \
    'AWS account 123456789012 as arn:aws:sts::123456789012:user/moto' "$LOG"

# Shadow against a default moto: UpdateService sets desiredCount and, at
# once, the service's runningCount, but the deployment keeps the
# rolloutState of CreateService, IN_PROGRESS. ECS would complete it; the
# daemon must wait.
inject seeding
start_daemon
ok "in sync, into shadow" wait_for 90 history_has 'replicating -> shadow'
ok "shadow: scaled in moto" wait_for 10 history_has \
    'scaling ECS service web from 1 to 2 tasks'
ok "shadow: progress names the deployment state" wait_for 10 progress_has \
    '^shadow: 2 of 2 tasks running, deployment IN_PROGRESS; ECS target group: 2 healthy, 0 unhealthy'
expect_eq "moto: service 2 desired, 2 running at once" "2	2" \
    "$(ecs_svc '[desiredCount,runningCount]')"
expect_eq "moto: the deployment untouched by UpdateService" \
    "IN_PROGRESS	1	0" \
    "$(ecs_svc 'deployments[0].[rolloutState,desiredCount,runningCount]')"
if wait_for 3 history_has 'shadow -> shifting'; then
	fail "shadow ended with the rollout IN_PROGRESS"
fi
ok "shadow: still waiting" phase_is shop shadow

# The ECS moto from here on: its rollout is COMPLETED.
stop_daemon
sed -i -e "s|^endpoint_ecs = .*|endpoint_ecs = $ECS_URL|" "$T/migrated.conf"
start_daemon
ok "ECS moto: shadow done" wait_for 20 history_has 'shadow -> shifting'
ok "ECS moto: scaled there too" history_has \
    'scaling ECS service web from 1 to 2 tasks' 2
# Its deployment still says what CreateService set: desired 1.
expect_eq "ECS moto: deployment COMPLETED, desiredCount never updated" \
    "2	COMPLETED	1" \
    "$(ecs_svc '[desiredCount,deployments[0].rolloutState,deployments[0].desiredCount]' "$ECS_URL")"

# Step 1, the Method B rule, created in moto's listener.
ok "rule step: rule created" wait_for 10 rules_are 1
expect_eq "rule step: weights unchanged" "100 0" "$(weights)"
# No datapoint at all: the step holds.
ok "no metrics: hold" wait_for 10 judged hold \
    'no ALB datapoint for the ECS target group'
promote_refused

# Requests and 5xx in moto: read, but moto has no p99 to give.
# put_traffic: a minute of requests and 5xx for both target groups, now
# (the gates sum the datapoints of the bake: older ones do not count).
put_traffic() {
	put_alb "$tg_ecs_dim" RequestCount --value 1000
	put_alb "$tg_ecs_dim" HTTPCode_Target_5XX_Count --value 0
	put_alb "$tg_do_dim" RequestCount --value 1000
	put_alb "$tg_do_dim" HTTPCode_Target_5XX_Count --value 0
}
put_traffic
ok "requests read from moto" wait_for 15 judged hold \
    'no p99 response time for ECS'
expect_eq "the ECS requests, from moto" 1000 "$(st judgment.ecs_requests | cut -d. -f1)"
expect_eq "no p99 from moto" null "$(st judgment.ecs_p99_ms)"
promote_refused
ok "bake over, still holding at step 1" step_is 1
expect_match "progress: held by the p99" \
    '^step 1 of 3 \(Method B rule\): bake 0 s left; gates hold: .*no p99' \
    "$(st progress)"

# moto's dimension order: a datapoint put LoadBalancer first is not
# found by a query that names TargetGroup first (CloudWatch matches the
# set). ActiveConnectionCount: a metric the daemon does not read.
aws_moto cloudwatch put-metric-data --namespace AWS/ApplicationELB \
    --metric-name ActiveConnectionCount \
    --dimensions "LoadBalancer=$lb_dim,TargetGroup=$tg_ecs_dim" --value 7
# conns DIMENSIONS_JSON: the Sum over the last 5 minutes, as moto gives it.
conns() {
	local now
	now=$(date +%s)
	aws_moto cloudwatch get-metric-data --start-time $((now - 300)) \
	    --end-time $((now + 60)) --query 'MetricDataResults[0].Values' \
	    --metric-data-queries "[{\"Id\":\"c\",\"MetricStat\":{\"Metric\":{
	    \"Namespace\":\"AWS/ApplicationELB\",\"MetricName\":
	    \"ActiveConnectionCount\",\"Dimensions\":$1},\"Period\":60,
	    \"Stat\":\"Sum\"}}]"
}
expect_eq "moto: found in put order" 7.0 "$(conns "[
    {\"Name\":\"LoadBalancer\",\"Value\":\"$lb_dim\"},
    {\"Name\":\"TargetGroup\",\"Value\":\"$tg_ecs_dim\"}]")"
expect_eq "moto: not found in the other order (AWS would)" "" "$(conns "[
    {\"Name\":\"TargetGroup\",\"Value\":\"$tg_ecs_dim\"},
    {\"Name\":\"LoadBalancer\",\"Value\":\"$lb_dim\"}]")"

# Step 2, reached the way inject reaches a phase (no step bakes out in
# moto): the weights set and read back from moto's listener.
stop_daemon
sqlite3 "$STATE" "UPDATE migrations SET step = 1 WHERE name = 'shop'"
start_daemon
ok "step 2: weights 90/10 in moto" wait_for 10 weights_are "90 10"
ok "step 2: read back" wait_for 5 history_has \
    'step 2 of 3: traffic: weights droplets 90 / ECS 10 (read back)'
expect_eq "step 2: the rule stays" 1 "$(rules)"
put_traffic
ok "step 2: hold, no p99" wait_for 15 judged hold \
    'no p99 response time for ECS'
promote_refused
ok "step 2: still there" step_is 2

# Rollback from shifting: every user back on the droplets, the rule gone.
ctl abort shop "t-moto: rollback" >/dev/null
ok "rolled back" wait_for 30 phase_is shop rolled_back
expect_eq "rollback: weights back in moto" "100 0" "$(weights)"
expect_eq "rollback: the rule removed from moto" 0 "$(rules)"
ok "rollback journaled" history_has \
    'rollback: every user is back on the droplets'

# Full traffic and soak, injected: 0/100 with the rule, then ECS alone
# and the rule gone.
inject full_traffic
start_daemon
ok "full traffic done" wait_for 20 history_has 'full_traffic -> soak'
expect_eq "full traffic: ECS alone in moto's listener" "None 1" "$(weights)"
expect_eq "full traffic: one target group left" 1 \
    "$(aws_moto elbv2 describe-listeners --listener-arns "$listener" \
    --query 'length(Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups)')"
expect_eq "full traffic: the rule removed" 0 "$(rules)"
# The soak holds: moto has the requests but no p99.
put_traffic
ok "soak: hold, no p99" wait_for 15 judged hold \
    '^no p99 response time for ECS$'
ok "soak: time over, still holding" wait_for 5 progress_has \
    '^soak: 0 s left; gates hold: no p99'
if history_has 'soak -> decommission'; then
	fail "the soak passed without a p99"
fi

# A p99 that could exist: response times put as statistic sets. moto's
# GetMetricData computes no extended statistic, gets None for p99 and
# cannot serialise it: the whole call fails (500), the daemon retries,
# and the gates hold on the failed read, never pass.
for tg in "$tg_ecs_dim" "$tg_do_dim"; do
	put_alb "$tg" TargetResponseTime \
	    --statistic-values SampleCount=1000,Sum=200,Minimum=0.1,Maximum=0.3
done
ok "p99 data: moto answers 500" wait_for 15 grep -q \
    'gates: GetMetricData: 500' "$LOG"
ok "p99 data: hold, the read failed" wait_for 5 judged hold \
    'no ALB datapoint for the ECS target group; some AWS reads failed'
ok "p99 data: still in soak" phase_is shop soak
if history_has 'soak -> decommission'; then
	fail "the soak passed on a failed read"
fi
# The point: on moto's data nothing ever passed.
if history_has '"event":"\(baked\|soaked\)"'; then
	fail "a bake or soak passed on moto's data: $(journal | grep -m1 -E '"event":"(baked|soaked)"')"
fi

# And all of it went to moto: the fakes saw none of the daemon's calls
# (and did see the fixture's, so the log is read right).
# calls_of FAKE_URL OPERATION...: how many requests the fake logged.
calls_of() {
	local url=$1; shift
	curl -sf "$url/_fake/log" | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r.get("operation") in sys.argv[1:]))
' "$@"
}
DAEMON_OPS="GetCallerIdentity DescribeTargetHealth DescribeListeners
    ModifyListener CreateRule DeleteRule DescribeRules GetMetricData
    DescribeAlarms DescribeServices UpdateService"
expect_eq "the fixture went through the fake" 2 \
    "$(calls_of "$FAKEAWS_URL" CreateListener CreateService)"
expect_eq "the daemon did not" 0 "$(calls_of "$FAKEAWS_URL" $DAEMON_OPS)"
expect_eq "nor through the ECS moto's fake" 0 \
    "$(calls_of "$ECS_FAKE" $DAEMON_OPS)"

stop_daemon; expect_eq "clean exit" 0 $?
finish
