# aws.sh: for the integration tests of the AWS path, sourced after lib.sh
# (and db.sh, when the test has one: aws_plan needs it). The AWS test
# endpoint (tests/fakes/fakeaws.py in front of its own moto_server), the aws
# CLI pointed at it or straight at moto, its control API, and the fixture
# the daemon works on: a VPC, an ALB whose listener forwards 100/0 to the
# droplets' IP target group and the ECS one, an ECS service registering in
# it, an alarm. Everything started here is stopped by lib.sh's trap, before
# whatever cleanup_more was defined when this file was sourced.

. "$TOP/tests/fakes/fakes.sh"
FPID=
MOTO_PID=

# Chain the cleanup_more found here (db.sh's, or none) after ours.
if declare -F cleanup_more >/dev/null; then
	eval "aws_next_cleanup() $(declare -f cleanup_more | tail -n +2)"
else
	aws_next_cleanup() { :; }
fi
cleanup_more() {
	fake_stop "$FPID" "$MOTO_PID"
	if [ "$FAILS" -ne 0 ]; then
		echo "--- fakeaws stderr ---" >&2
		tail -n 20 "$T/fakeaws.err" >&2 2>/dev/null
	fi
	aws_next_cleanup
}

# aws_start [EXTRA_FAKEAWS_ARGS...]: start the fake and its moto, wait for
# them, and point the daemon's [aws] endpoints at the fake (AWS_TEST_URL,
# read by write_config: call this before start_daemon).
aws_start() {
	python3 "$TOP/tests/fakes/fakeaws.py" --spawn-moto --port 0 \
	    --env-file "$T/aws.env" "$@" >"$T/fakeaws.out" 2>"$T/fakeaws.err" &
	FPID=$!
	if ! wait_for 60 aws_env_written; then
		fail "fakeaws did not start"
		finish
	fi
	. "$T/aws.env"
	AWS_TEST_URL=$FAKEAWS_URL
}
aws_env_written() { [ -s "$T/aws.env" ] && grep -q '^MOTO_URL=' "$T/aws.env"; }

# aws_at URL ARGS...: the CLI against URL, text output, one attempt.
aws_at() {
	local url=$1
	shift
	AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 AWS_PAGER='' \
	    aws --endpoint-url "$url" --output text "$@" 2>>"$T/aws-cli.err"
}
# aws_ ARGS...: the CLI against the fake.
aws_() { aws_at "$FAKEAWS_URL" "$@"; }
# aws_moto ARGS...: the same, straight at moto (no signature check, no
# faults, not in the fake's log).
aws_moto() { aws_at "$MOTO_URL" "$@"; }
# fake METHOD PATH [JSON]: the fake's control API (/_fake/...).
fake() {
	curl -sf -X "$1" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"} "$FAKEAWS_URL$2" >/dev/null
}

# aws_fixture: build the fixture; sets vpc s1 s2 sg lb tg_do tg_ecs listener
# svc (IDs and ARNs) and lb_dim tg_do_dim tg_ecs_dim (CloudWatch's
# LoadBalancer and TargetGroup dimension values). The droplets 10.0.1.5 and
# .6 are in tg_do; the ECS tasks 10.0.1.20 and .21 in tg_ecs (moto starts
# no task, so the fixture registers them).
aws_fixture() {
	vpc=$(aws_ ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId)
	s1=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 \
	    --availability-zone us-east-1a --query Subnet.SubnetId)
	s2=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.2.0/24 \
	    --availability-zone us-east-1b --query Subnet.SubnetId)
	sg=$(aws_ ec2 create-security-group --group-name web --vpc-id "$vpc" \
	    --description web --query GroupId)
	lb=$(aws_ elbv2 create-load-balancer --name shop --type application \
	    --subnets "$s1" "$s2" --query 'LoadBalancers[0].LoadBalancerArn')
	tg_do=$(aws_ elbv2 create-target-group --name droplets --protocol HTTP \
	    --port 80 --vpc-id "$vpc" --target-type ip \
	    --query 'TargetGroups[0].TargetGroupArn')
	tg_ecs=$(aws_ elbv2 create-target-group --name ecs --protocol HTTP \
	    --port 80 --vpc-id "$vpc" --target-type ip \
	    --query 'TargetGroups[0].TargetGroupArn')
	aws_ elbv2 register-targets --target-group-arn "$tg_do" \
	    --targets Id=10.0.1.5,Port=80 Id=10.0.1.6,Port=80
	aws_ elbv2 register-targets --target-group-arn "$tg_ecs" \
	    --targets Id=10.0.1.20,Port=80 Id=10.0.1.21,Port=80
	listener=$(aws_ elbv2 create-listener --load-balancer-arn "$lb" \
	    --protocol HTTP --port 80 --default-actions "[{\"Type\":\"forward\",
	    \"ForwardConfig\":{\"TargetGroups\":[
	    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":100},
	    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":0}]}}]" \
	    --query 'Listeners[0].ListenerArn')
	svc=$(aws_service aws_ --query service.serviceArn \
	    --network-configuration "awsvpcConfiguration={subnets=[$s1,$s2],securityGroups=[$sg],assignPublicIp=DISABLED}")
	aws_ cloudwatch put-metric-alarm --alarm-name shop-5xx \
	    --namespace AWS/ApplicationELB --metric-name HTTPCode_Target_5XX_Count \
	    --statistic Sum --period 60 --evaluation-periods 1 --threshold 10 \
	    --comparison-operator GreaterThanThreshold
	aws_ cloudwatch set-alarm-state --alarm-name shop-5xx --state-value OK \
	    --state-reason "test: fine"
	lb_dim=${lb#*:loadbalancer/}
	tg_do_dim=targetgroup/${tg_do#*:targetgroup/}
	tg_ecs_dim=targetgroup/${tg_ecs#*:targetgroup/}
	expect_match "fixture built" \
	    ':listener/app/shop/.*:targetgroup/droplets/.*:targetgroup/ecs/.*:service/shop/web$' \
	    "$listener $tg_do $tg_ecs $svc"
	expect_match "fixture's dimensions" \
	    '^app/shop/[^/]+ targetgroup/droplets/[^/]+ targetgroup/ecs/[^/]+$' \
	    "$lb_dim $tg_do_dim $tg_ecs_dim"
}

# aws_service CLI [ARGS...]: the fixture's ECS service through CLI (aws_,
# aws_moto, ...): cluster shop, task definition web, service web with one
# task, in the ECS target group; ARGS go to create-service, whose answer
# is printed.
aws_service() {
	local cli=$1
	shift
	"$cli" ecs create-cluster --cluster-name shop >/dev/null
	"$cli" ecs register-task-definition --family web \
	    --requires-compatibilities FARGATE --network-mode awsvpc \
	    --cpu 256 --memory 512 --container-definitions \
	    '[{"name":"web","image":"nginx","portMappings":[{"containerPort":80}]}]' \
	    >/dev/null
	"$cli" ecs create-service --cluster shop --service-name web \
	    --task-definition web --desired-count 1 --launch-type FARGATE \
	    --deployment-controller type=ECS \
	    --load-balancers "targetGroupArn=$tg_ecs,containerName=web,containerPort=80" \
	    "$@"
}

# aws_plan NAME [LISTENER_ARN]: db.sh's plan with the fixture's listener
# (or LISTENER_ARN) and target groups; a test appends the rest ([gates]).
aws_plan() {
	db_plan "$1"
	sed -i -e "s|^listener_arn = .*|listener_arn = ${2:-$listener}|" \
	    -e "s|^droplet_target_group_arn = .*|droplet_target_group_arn = $tg_do|" \
	    -e "s|^ecs_target_group_arn = .*|ecs_target_group_arn = $tg_ecs|" \
	    "$T/plans/$1.ini"
}

# aws_gates_plan FILE POLL BAKE SOAK [PATH_PATTERNS]: make aws_plan's plan
# FILE the gates tests' one: polled every POLL, steps 10 and 50 (after a
# Method B rule for PATH_PATTERNS) baked BAKE each, ECS scaled to 2, a
# soak of SOAK, and gates on health, p99, requests and the fixture's alarm.
aws_gates_plan() {
	local rule=
	[ -z "${5:-}" ] || rule="\\
path_patterns = $5"
	sed -i -e "s|^poll_interval = .*|poll_interval = $2\\
steps = 10, 50\\
bake = $3\\
soak = $4\\
ecs_desired = 2$rule|" "$1"
	cat >> "$1" <<'PLAN'
[gates]
min_healthy = 2
max_p99 = 500ms
min_requests = 50
alarms = shop-5xx
PLAN
}

# The gates tests' levers and readers. Reads that check the daemon's work
# go to moto itself: the fake may be throttling, and the CLI here does not
# retry.
# metrics E5XX E_P99 D5XX D_P99: the fake's ALB datapoints, one per target
# group, newest, with 1000 requests each (p99 in seconds).
metrics() {
	fake POST /_fake/metrics "{\"values\": {
	    \"RequestCount\": {\"$tg_ecs_dim\": [1000], \"$tg_do_dim\": [1000]},
	    \"HTTPCode_Target_5XX_Count\": {\"$tg_ecs_dim\": [$1], \"$tg_do_dim\": [$3]},
	    \"TargetResponseTime\": {\"$tg_ecs_dim\": {\"p99\": [$2]},
	        \"$tg_do_dim\": {\"p99\": [$4]}}}}"
}
# unhealthy, healthy: the first ECS target fails its health checks, or
# all of them are moto's again.
unhealthy() {
	fake POST /_fake/target-health "{\"target_group_arn\":\"$tg_ecs\",
	    \"merge\":true,\"targets\":[{\"id\":\"10.0.1.20\",\"port\":80,
	    \"state\":\"unhealthy\",\"reason\":\"Target.FailedHealthChecks\"}]}"
}
healthy() {
	fake POST /_fake/target-health "{\"target_group_arn\":\"$tg_ecs\",\"targets\":null}"
}
# weights: the listener's forward as "DROPLETS ECS" (None: not in it).
weights() {
	local q="Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups"
	aws_moto elbv2 describe-listeners --listener-arns "$listener" --query \
	    "[$q[?TargetGroupArn=='$tg_do'].Weight | [0], $q[?TargetGroupArn=='$tg_ecs'].Weight | [0]]" |
	    tr '\t' ' '
}
weights_are() { [ "$(weights)" = "$1" ]; }
# rules: how many rules send /api/* to the ECS target group alone.
rules() {
	aws_moto elbv2 describe-rules --listener-arn "$listener" --query \
	    "length(Rules[?Conditions[0].PathPatternConfig.Values[0]=='/api/*' && Actions[0].ForwardConfig.TargetGroups[0].TargetGroupArn=='$tg_ecs' && length(Actions[0].ForwardConfig.TargetGroups)==\`1\`])"
}
rules_are() { [ "$(rules)" = "$1" ]; }
