# t-aws-preflight: preflight's AWS checks against the AWS test endpoint
# (tests/fakes/fakeaws.py in front of moto) and the real MariaDB pair. The
# fixture is built with the aws CLI: a VPC, an ALB whose listener forwards
# 100/0 to the droplets' IP target group, the ECS one, an ECS service
# registering in it, an alarm. With all of it right the only reason left
# is the DigitalOcean checks; then one thing at a time is broken and must
# be named: the secret key, a target off the private ranges, an alarm in
# ALARM, the clock, the listener, the TTL of the `dns` writer's record.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

FPID=
MOTO_PID=
eval "db_cleanup_more() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() {
	if [ -n "$FPID" ] && kill -0 "$FPID" 2>/dev/null; then
		kill -TERM "$FPID" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$FPID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$FPID" 2>/dev/null
		wait "$FPID" 2>/dev/null
	fi
	# fakeaws stops its moto; if it could not, do it here.
	if [ -n "$MOTO_PID" ] && kill -0 "$MOTO_PID" 2>/dev/null; then
		kill -KILL -- "-$MOTO_PID" 2>/dev/null
	fi
	if [ "$FAILS" -ne 0 ]; then
		echo "--- fakeaws stderr ---" >&2
		tail -n 20 "$T/fakeaws.err" >&2 2>/dev/null
	fi
	db_cleanup_more
}

python3 "$TOP/tests/fakes/fakeaws.py" --spawn-moto --port 0 \
    --env-file "$T/aws.env" >"$T/fakeaws.out" 2>"$T/fakeaws.err" &
FPID=$!
env_written() { [ -s "$T/aws.env" ] && grep -q '^MOTO_URL=' "$T/aws.env"; }
if ! wait_for 60 env_written; then
	fail "fakeaws did not start"
	finish
fi
. "$T/aws.env"
AWS_TEST_URL=$FAKEAWS_URL

# aws_ ARGS...: the CLI against the fake, text output.
aws_() {
	AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 AWS_PAGER='' \
	    aws --endpoint-url "$FAKEAWS_URL" --output text "$@" \
	    2>>"$T/aws-cli.err"
}
fake() {
	curl -sf -X "$1" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"} "$FAKEAWS_URL$2" >/dev/null
}

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
listener=$(aws_ elbv2 create-listener --load-balancer-arn "$lb" \
    --protocol HTTP --port 80 --default-actions "[{\"Type\":\"forward\",
    \"ForwardConfig\":{\"TargetGroups\":[
    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":100},
    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":0}]}}]" \
    --query 'Listeners[0].ListenerArn')
aws_ ecs create-cluster --cluster-name shop >/dev/null
aws_ ecs register-task-definition --family web \
    --requires-compatibilities FARGATE --network-mode awsvpc \
    --cpu 256 --memory 512 --container-definitions \
    '[{"name":"web","image":"nginx","portMappings":[{"containerPort":80}]}]' \
    >/dev/null
svc=$(aws_ ecs create-service --cluster shop --service-name web \
    --task-definition web --desired-count 2 --launch-type FARGATE \
    --deployment-controller type=ECS \
    --network-configuration "awsvpcConfiguration={subnets=[$s1,$s2],securityGroups=[$sg],assignPublicIp=DISABLED}" \
    --load-balancers "targetGroupArn=$tg_ecs,containerName=web,containerPort=80" \
    --query service.serviceArn)
aws_ cloudwatch put-metric-alarm --alarm-name shop-5xx \
    --namespace AWS/ApplicationELB --metric-name HTTPCode_Target_5XX_Count \
    --statistic Sum --period 60 --evaluation-periods 1 --threshold 10 \
    --comparison-operator GreaterThanThreshold
aws_ cloudwatch set-alarm-state --alarm-name shop-5xx --state-value OK \
    --state-reason "test: fine"
expect_match "fixture built" \
    ':listener/app/shop/.*:targetgroup/droplets/.*:targetgroup/ecs/.*:service/shop/web$' \
    "$listener $tg_do $tg_ecs $svc"

db_start
# plan NAME [LISTENER_ARN]: db.sh's plan with the fixture's ARNs and alarm.
plan() {
	db_plan "$1" "" "[gates]
alarms = shop-5xx"
	sed -i -e "s|^listener_arn = .*|listener_arn = ${2:-$listener}|" \
	    -e "s|^droplet_target_group_arn = .*|droplet_target_group_arn = $tg_do|" \
	    -e "s|^ecs_target_group_arn = .*|ecs_target_group_arn = $tg_ecs|" \
	    "$T/plans/$1.ini"
}
reason_of() { ctl --json status "$1" | jget migrations.0.reason; }
# again NAME: retry preflight and wait for its verdict.
again() {
	ctl retry "$1" >/dev/null || fail "retry $1"
	wait_for 30 phase_is "$1" failed || fail "$1: preflight did not end"
}
DO_ONLY="the DigitalOcean checks (droplets by tag) are not in this build of migrated; nothing was changed"

plan shop
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
ctl start shop >/dev/null
ok "preflight ends" wait_for 30 phase_is shop failed
expect_eq "everything right: only DigitalOcean is left" "$DO_ONLY" \
    "$(reason_of shop)"
ok "preflight asked STS" grep -q "AWS account 123456789012" "$LOG"

# A wrong secret key: the credentials are named.
stop_daemon
AWS_SECRET_ACCESS_KEY=not-the-secret start_daemon
again shop
r=$(reason_of shop)
expect_match "wrong secret named" \
    "AWS credentials: .*(SignatureDoesNotMatch|InvalidClientTokenId)" "$r"
expect_match "and only it, with DigitalOcean" "^AWS credentials: [^;]*; [^;]*; the DigitalOcean" "$r"
stop_daemon
AWS_ACCESS_KEY_ID=AKIDUNKNOWN start_daemon
again shop
expect_match "unknown key named" "AWS credentials: .*InvalidClientTokenId" \
    "$(reason_of shop)"
stop_daemon
start_daemon

# A droplet target off the private ranges (moto would not register one
# outside the VPC: the fake reports it).
fake POST /_fake/target-health "{\"target_group_arn\":\"$tg_do\",
    \"merge\":true,\"targets\":[{\"id\":\"8.8.8.8\",\"port\":80,
    \"state\":\"healthy\"}]}"
again shop
r=$(reason_of shop)
expect_match "public target named" \
    "droplet target group: target 8\.8\.8\.8 is not on a private range" "$r"
if printf '%s' "$r" | grep -q "10\.0\.1\.5"; then
	fail "a private target was reported: $r"
fi
fake POST /_fake/target-health "{\"target_group_arn\":\"$tg_do\",\"targets\":null}"

# An alarm already in ALARM.
aws_ cloudwatch set-alarm-state --alarm-name shop-5xx --state-value ALARM \
    --state-reason "test: firing"
again shop
expect_match "alarm in ALARM named" \
    "CloudWatch alarms already in ALARM: shop-5xx" "$(reason_of shop)"
aws_ cloudwatch set-alarm-state --alarm-name shop-5xx --state-value OK \
    --state-reason "test: fine"

# AWS's clock ten minutes ahead of ours.
fake POST /_fake/faults '{"clock_offset_s": 600}'
again shop
expect_match "clock skew named" \
    "AWS: this machine's clock is (59[0-9]|60[0-9]) s behind AWS's" \
    "$(reason_of shop)"
fake POST /_fake/faults '{}'

again shop
expect_eq "all right again" "$DO_ONLY" "$(reason_of shop)"

# A listener that does not exist, in a migration of its own.
ctl abort shop "next case" >/dev/null
ok "shop rolled back" wait_for 10 phase_is shop rolled_back
plan gone "${listener%/*}/0123456789abcdef"
ctl create "$T/plans/gone.ini" >/dev/null
ctl start gone >/dev/null
ok "preflight of gone ends" wait_for 30 phase_is gone failed
expect_match "missing listener named" \
    "listener: DescribeListeners: ListenerNotFound.*check traffic.listener_arn" \
    "$(reason_of gone)"

# writer = dns: the record must expire within 5 s.
ctl abort gone "next case" >/dev/null
ok "gone rolled back" wait_for 10 phase_is gone rolled_back
zone=$(aws_ route53 create-hosted-zone --name shop.internal \
    --caller-reference t-aws-preflight --query HostedZone.Id)
# upsert TTL: the writer's record, a CNAME to the source.
upsert() {
	aws_ route53 change-resource-record-sets --hosted-zone-id "$zone" \
	    --change-batch "{\"Changes\":[{\"Action\":\"UPSERT\",
	    \"ResourceRecordSet\":{\"Name\":\"db.shop.internal\",
	    \"Type\":\"CNAME\",\"TTL\":$1,\"ResourceRecords\":[
	    {\"Value\":\"source.shop.internal\"}]}}]}" >/dev/null
}
upsert 60
plan dns
sed -i -e "s|^writer = hook|writer = dns\ndns_zone_id = $zone\ndns_record = db.shop.internal|" \
    "$T/plans/dns.ini"
ctl create "$T/plans/dns.ini" >/dev/null
ctl start dns >/dev/null
ok "preflight of dns ends" wait_for 30 phase_is dns failed
expect_match "DNS TTL named" \
    "cutover.dns_record db.shop.internal has a TTL of 60 s" "$(reason_of dns)"
upsert 5
again dns
expect_eq "TTL 5 s is right" "$DO_ONLY" "$(reason_of dns)"

stop_daemon; expect_eq "clean exit" 0 $?
finish
