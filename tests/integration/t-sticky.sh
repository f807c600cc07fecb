# t-sticky: traffic.stickiness against the AWS fault endpoint (fakeaws in
# front of moto) and the real MariaDB pair. The operator's listener has
# target group stickiness off with a duration of 1200 s; the plan asks for
# 1h. Every weighted step carries 1h on the same ModifyListener as its
# weights, read back; a breach puts the operator's setting back with the
# weights, also after a SIGKILL (the original comes from the store, not
# from the listener, which then shows the plan's); full traffic (ECS
# alone) and an abort's rollback put it back exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

aws_start
aws_fixture
# The operator's own: off, with a duration kept from an earlier use.
aws_ elbv2 modify-listener --listener-arn "$listener" --default-actions \
    "[{\"Type\":\"forward\",\"ForwardConfig\":{\"TargetGroups\":[
    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":100},
    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":0}],
    \"TargetGroupStickinessConfig\":{\"Enabled\":false,\"DurationSeconds\":1200}}}]" \
    >/dev/null
db_start
aws_plan shop
aws_gates_plan "$T/plans/shop.ini" 200ms 60s 60s
sed -i '/^\[traffic\]/a stickiness = 1h' "$T/plans/shop.ini"

# sticky: the forward's stickiness as "ENABLED DURATION" (read from moto).
sticky() {
	aws_moto elbv2 describe-listeners --listener-arns "$listener" --query \
	    'Listeners[0].DefaultActions[0].ForwardConfig.TargetGroupStickinessConfig.[Enabled, DurationSeconds]' |
	    tr '\t' ' '
}
sticky_is() { [ "$(sticky)" = "$1" ]; }
step_is() {
	[ "$(ctl --json status shop | jget migrations.0.step)" = "$1" ] &&
	    phase_is shop shifting
}
gates_are() {
	[ "$(ctl --json status shop | jget migrations.0.judgment.verdict)" = "$1" ]
}
expect_eq "fixture: the operator's stickiness" "False 1200" "$(sticky)"

metrics 0 0.2 0 0.2
fake POST /_fake/ecs-service '{"cluster":"shop","service":"web",
    "rolloutState":"COMPLETED","runningCount":2,"pendingCount":0}'
writer_start 200
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
inject seeding
start_daemon

ok "shifting" wait_for 120 history_has 'shadow -> shifting'
ok "step 1: weights 90/10" wait_for 10 weights_are "90 10"
expect_eq "step 1: stickiness on for the plan's 1h" "True 3600" "$(sticky)"
expect_eq "the operator's stickiness recorded" "0:1200" "$(fact traffic.sticky_orig)"
ok "step 1: journaled with its stickiness" history_has \
    'weights droplets 90 / ECS 10, stickiness 3600 s (read back)'
ok "the record journaled" history_has "listener's own target group stickiness is off"

# A SIGKILL: after the restart the listener shows the plan's 1h; a
# breach must still put back the operator's 1200 s, off.
ok "step 1: gates pass" wait_for 15 gates_are pass
kill9_daemon
start_daemon
ok "restart: still step 1" wait_for 10 step_is 1
unhealthy
ok "breach: paused" wait_for 15 phase_is shop paused
expect_eq "breach: users back on the droplets" "100 0" "$(weights)"
expect_eq "breach: the operator's stickiness back" "False 1200" "$(sticky)"
healthy
ctl resume shop >/dev/null
ok "resumed: weights 90/10" wait_for 15 weights_are "90 10"
expect_eq "resumed: stickiness on again" "True 3600" "$(sticky)"

# Through the steps and the cutover to ECS alone: put back.
ctl set shop traffic.bake=2s >/dev/null
ok "step 2: 50/50, sticky" wait_for 30 weights_are "50 50"
expect_eq "step 2: stickiness on" "True 3600" "$(sticky)"
ok "full traffic" wait_for 240 history_has 'full_traffic -> soak'
expect_eq "full traffic: ECS alone" "None 1" "$(weights)"
expect_eq "full traffic: the operator's stickiness back" "False 1200" "$(sticky)"

# An abort during the soak: every user back on the droplets, the
# stickiness as the operator had it.
ctl abort shop "test: roll back" >/dev/null
ok "rolled back" wait_for 60 phase_is shop rolled_back
expect_eq "rollback: users on the droplets" "100 0" "$(weights)"
expect_eq "rollback: the operator's stickiness" "False 1200" "$(sticky)"
writer_stop

stop_daemon; expect_eq "clean exit" 0 $?
finish
