# t-traffic: the traffic phases against the AWS fault endpoint (fakeaws in
# front of moto) and the real MariaDB pair with the writer load: shadow
# scales the ECS service and waits for ECS and the ALB; shifting moves the
# plan's steps (a Method B rule first, then weights) and bakes each under
# the gates; a breach at every step sends the users back to the droplets
# at once and pauses; weights changed by someone else pause with an
# alert; an unparseable answer stops the step with the operation's name; a
# SIGKILL in the middle of a step resumes it with the same weights read
# back; 30% of AWS calls throttled from then on, the migration still gets
# through cutover, full traffic (ECS alone, rule gone) and soak.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

aws_start
aws_fixture
db_start
aws_plan shop
aws_gates_plan "$T/plans/shop.ini" 200ms 60s 2s "/api/*"

gates_are() {
	[ "$(ctl --json status shop | jget migrations.0.judgment.verdict)" = "$1" ]
}
step_is() {
	[ "$(ctl --json status shop | jget migrations.0.step)" = "$1" ] &&
	    phase_is shop shifting
}
fact_exists() { [ -n "$(fact "$1")" ]; }
# mods: how many ModifyListener calls the fake has seen.
mods() {
	curl -sf "$FAKEAWS_URL/_fake/log?operation=ModifyListener" |
	    /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

metrics 0 0.2 0 0.2
# moto keeps the deployment IN_PROGRESS: say it completed, as ECS would.
fake POST /_fake/ecs-service '{"cluster":"shop","service":"web",
    "rolloutState":"COMPLETED","runningCount":2,"pendingCount":0}'
writer_start 200
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
inject seeding
start_daemon

# Shadow: the service is scaled, ECS and the ALB are waited for.
ok "in sync, into shadow" wait_for 90 history_has 'replicating -> shadow'
ok "shadow done" wait_for 20 history_has 'shadow -> shifting'
expect_eq "ECS service scaled to ecs_desired" 2 \
    "$(aws_ ecs describe-services --cluster shop --services web \
    --query 'services[0].desiredCount')"
ok "scaling journaled" history_has 'scaling ECS service web from 1 to 2 tasks'

# Step 1, the Method B rule: /api/* to ECS, the weights unchanged.
ok "rule step: rule created" wait_for 10 rules_are 1
expect_eq "rule step: after the operator's rules" 1 \
    "$(aws_moto elbv2 describe-rules --listener-arn "$listener" --query \
    "Rules[?Conditions[0].PathPatternConfig.Values[0]=='/api/*'].Priority | [0]")"
expect_eq "rule step: weights unchanged" "100 0" "$(weights)"
# A breach at the rule step, from the metrics: 5% of ECS answers are 5xx
# (the metrics are read every 10 s: a datapoint is a minute).
ok "rule step: gates pass" wait_for 10 gates_are pass
metrics 50 0.2 0 0.2
ok "rule step breach: paused" wait_for 15 phase_is shop paused
expect_eq "rule step breach: the rule removed" 0 "$(rules)"
expect_eq "rule step breach: weights untouched at 100/0" "100 0" "$(weights)"
expect_match "rule step breach: the 5xx rate named" \
    "gate breach at step 1: ECS 5xx rate 5\.00% above gates.max_5xx_rate 1\.00% \(50 of 1000 requests\)" \
    "$(reason_of)"
metrics 0 0.2 0 0.2
ctl resume shop >/dev/null
ok "rule step resumed: the rule is back" wait_for 10 rules_are 1

# The gates must hold before promote ends the bake.
ok "rule step: gates pass again" wait_for 15 gates_are pass
ctl promote shop >/dev/null
ok "promoted to step 2" wait_for 10 step_is 2
ok "step 2: weights 90/10" wait_for 10 weights_are "90 10"
expect_eq "step 2: the rule stays" 1 "$(rules)"

# A breach at step 2: an ECS target fails its health checks.
unhealthy
ok "breach: paused" wait_for 10 phase_is shop paused
expect_eq "breach: users back on the droplets" "100 0" "$(weights)"
expect_eq "breach: the rule removed" 0 "$(rules)"
expect_match "breach: the reason names the gate" \
    "gate breach at step 2: 1 ECS target unhealthy.*weights back on the droplets" \
    "$(reason_of)"
ok "breach: values journaled" history_has '"event":"breach".*"step":2,"ecs_percent":10'
healthy
ctl resume shop >/dev/null
ok "resumed at step 2" wait_for 10 weights_are "90 10"
expect_eq "resumed: rule back" 1 "$(rules)"

# SIGKILL while a breach's rollback is on its way (ModifyListener slowed
# down): the restart finishes the stop, even with the targets healthy
# again, instead of resuming the step.
ok "step 2 again: gates pass" wait_for 10 gates_are pass
fake POST /_fake/faults '{"latency_ms":3000,"operations":["ModifyListener"]}'
unhealthy
ok "slow breach: the stop is recorded" wait_for 10 fact_exists shift.back
kill9_daemon
# The slowed ModifyListener still lands, as a request in flight at AWS
# would: let it, before the restart reads the listener.
sleep 3.5
fake POST /_fake/faults '{}'
healthy
start_daemon
ok "slow breach: paused after the restart" wait_for 10 phase_is shop paused
expect_match "slow breach: the breach is the reason" \
    "gate breach at step 2: 1 ECS target unhealthy" "$(reason_of)"
expect_eq "slow breach: users back on the droplets" "100 0" "$(weights)"
ctl resume shop >/dev/null
ok "resumed at step 2 once more" wait_for 10 weights_are "90 10"

# Weights changed by someone else: paused with an alert, left as found.
aws_ elbv2 modify-listener --listener-arn "$listener" --default-actions \
    "[{\"Type\":\"forward\",\"ForwardConfig\":{\"TargetGroups\":[
    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":50},
    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":50}]}}]" >/dev/null
ok "drift: paused" wait_for 10 phase_is shop paused
expect_match "drift: alert names it" "changed by someone else: it forwards droplets:50,ecs:50, the daemon set droplets:90,ecs:10" \
    "$(reason_of)"
expect_eq "drift: left as found" "50 50" "$(weights)"
ok "drift: journaled as an alert" history_has '^alert .*changed by someone else'
aws_ elbv2 modify-listener --listener-arn "$listener" --default-actions \
    "[{\"Type\":\"forward\",\"ForwardConfig\":{\"TargetGroups\":[
    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":90},
    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":10}]}}]" >/dev/null
ctl resume shop >/dev/null
ok "drift undone: step 2 again" wait_for 10 step_is 2

# An answer that does not parse: the step stops, named by operation.
fake POST /_fake/faults '{"garbage_rate":1,"operations":["DescribeTargetHealth"]}'
ok "garbage: failed" wait_for 10 phase_is shop failed
expect_match "garbage: the operation named" "DescribeTargetHealth: ParseError" \
    "$(reason_of)"
expect_eq "garbage: users back on the droplets" "100 0" "$(weights)"
fake POST /_fake/faults '{}'
ctl retry shop >/dev/null
ok "retried: step 2 again" wait_for 10 weights_are "90 10"

# SIGKILL in the middle of the step: the same weights, read back.
ok "step 2: gates pass" wait_for 10 gates_are pass
n=$(mods)
sets=$(journal | grep -c 'step 2 of 3: traffic: weights droplets 90 / ECS 10')
kill9_daemon
start_daemon
ok "restart: still step 2" wait_for 10 step_is 2
ok "restart: gates pass" wait_for 10 gates_are pass
expect_eq "restart: weights read back, not set again" "$n" "$(mods)"
expect_eq "restart: the listener unchanged" "90 10" "$(weights)"
ok "restart: the bake goes on, not a new step" history_has \
    'step 2 of 3: traffic: weights droplets 90 / ECS 10' "$sets"

# From here on AWS throttles 30% of the calls.
fake POST /_fake/faults '{"throttle_rate":0.3,"seed":3}'
ok "step 2: gates pass under throttling" wait_for 20 gates_are pass
ctl promote shop >/dev/null
ok "step 3: 50/50" wait_for 20 weights_are "50 50"
# on_breach = retry: back on the droplets, then the step again after the
# cool-down, three breaches at most; then it stays paused.
ctl set shop traffic.on_breach=retry >/dev/null
ctl set shop traffic.cooldown=1s >/dev/null
unhealthy
ok "breach at step 3: retried after the cool-down" wait_for 15 \
    history_has 'cool-down over: retrying step 3' 2
ok "breach at step 3: retries used up" wait_for 15 history_has \
    'gate breach at step 3: .*(retries used up)'
ok "breach at step 3: paused for good" phase_is shop paused
expect_eq "breach at step 3: back on the droplets" "100 0" "$(weights)"
healthy
ctl set shop traffic.on_breach=pause >/dev/null
ctl set shop traffic.soak=60s >/dev/null
ctl set shop traffic.bake=2s >/dev/null
ctl resume shop >/dev/null
ok "cutover, with the writer" wait_for 60 history_has 'cutover -> full_traffic'
ok "full traffic: ECS alone" wait_for 20 history_has 'full_traffic -> soak'
expect_eq "full traffic: droplets out of the listener" "None 1" "$(weights)"
expect_eq "full traffic: the rule removed" 0 "$(rules)"

# An alarm firing during the soak: paused, the listener left on ECS.
aws_moto cloudwatch set-alarm-state --alarm-name shop-5xx --state-value ALARM \
    --state-reason "test: firing"
ok "soak breach: paused" wait_for 15 phase_is shop paused
expect_match "soak breach: the alarm named" \
    "gate breach during the soak: 1 alarm in ALARM \(shop-5xx\)" "$(reason_of)"
expect_eq "soak breach: the listener left on ECS" "None 1" "$(weights)"
aws_moto cloudwatch set-alarm-state --alarm-name shop-5xx --state-value OK \
    --state-reason "test: fine"
ctl set shop traffic.soak=2s >/dev/null
ctl resume shop >/dev/null
ok "soaked" wait_for 30 history_has 'soak -> decommission'
injected=$(curl -sf "$FAKEAWS_URL/_fake/faults" | jget injected)
expect_match "throttling happened" '^[1-9][0-9]*$' "$injected"
writer_stop
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"

stop_daemon; expect_eq "clean exit" 0 $?
finish
