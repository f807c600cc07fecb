# t-aws-preflight: preflight's AWS checks against the AWS test endpoint
# (tests/fakes/fakeaws.py in front of moto) and the real MariaDB pair. The
# fixture is built with the aws CLI: a VPC, an ALB whose listener forwards
# 100/0 to the droplets' IP target group, the ECS one, an ECS service
# registering in it, an alarm. With all of it right the only reason left
# is the DigitalOcean checks; then one thing at a time is broken and must
# be named: the secret key, a target off the private ranges, an alarm in
# ALARM, the clock, the listener, the TTL of the `dns` writer's record.
# Warnings do not fail it: the `ecs-env` writer's write gap, and a listener
# without target group stickiness when the plan sets none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

aws_start
aws_fixture
db_start
# plan NAME [LISTENER_ARN]: the fixture's plan, with its alarm.
plan() {
	aws_plan "$@"
	printf '[gates]\nalarms = shop-5xx\n' >> "$T/plans/$1.ini"
}
# again NAME: retry preflight and wait for its verdict.
again() {
	ctl retry "$1" >/dev/null || fail "retry $1"
	wait_for 30 phase_is "$1" failed || fail "$1: preflight did not end"
}
DO_ONLY="^DigitalOcean: ListDroplets: ConnectionError: .*; check decommission.do_token_file and traffic.droplet_tag$"

plan shop
start_daemon
preflight shop
expect_match "everything right: only DigitalOcean is left" "$DO_ONLY" \
    "$(reason_of shop)"
# The fixture's forward has no target group stickiness and the plan sets
# no traffic.stickiness: a warning, not a failure.
expect_match "sessions: stickiness off warned of" \
    "the listener's forward has target group stickiness off and the plan does not set traffic.stickiness" \
    "$(ctl history shop)"
ok "preflight asked STS" grep -q "AWS account 123456789012" "$LOG"

# A wrong secret key: the credentials are named.
stop_daemon
AWS_SECRET_ACCESS_KEY=not-the-secret start_daemon
again shop
r=$(reason_of shop)
expect_match "wrong secret named" \
    "AWS credentials: .*(SignatureDoesNotMatch|InvalidClientTokenId)" "$r"
expect_match "and only it, with DigitalOcean" "^AWS credentials: [^;]*; [^;]*; DigitalOcean: ListDroplets" "$r"
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
expect_match "all right again" "$DO_ONLY" "$(reason_of shop)"

# A listener that does not exist, in a migration of its own.
ctl abort shop "next case" >/dev/null
ok "shop rolled back" wait_for 10 phase_is shop rolled_back
plan gone "${listener%/*}/0123456789abcdef"
preflight gone
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
preflight dns
expect_match "DNS TTL named" \
    "cutover.dns_record db.shop.internal has a TTL of 60 s" "$(reason_of dns)"
upsert 5
again dns
expect_match "TTL 5 s is right" "$DO_ONLY" "$(reason_of dns)"

# writer = ecs-env: not a failure, but a warning in the journal first.
ctl abort dns "next case" >/dev/null
ok "dns rolled back" wait_for 10 phase_is dns rolled_back
plan env
sed -i -e "s|^writer = hook|writer = ecs-env\necs_env_name = DB_HOST|" \
    "$T/plans/env.ini"
preflight env
expect_match "ecs-env: no failure of its own" "$DO_ONLY" "$(reason_of env)"
expect_match "ecs-env: the write gap warned of" \
    "warning: with cutover.writer = ecs-env the application's writes fail" \
    "$(ctl history env)"
# With traffic.stickiness in the plan, no stickiness warning.
n=$(ctl history env | grep -c "stickiness off")
sed -i '/^\[traffic\]/a stickiness = 1h' "$T/plans/env.ini"
kill -HUP "$DPID"
ok "stickiness: plan reloaded" wait_for 5 grep -q "env: plan reloaded" "$LOG"
again env
expect_eq "stickiness set: no warning" "$n" \
    "$(ctl history env | grep -c "stickiness off")"

stop_daemon; expect_eq "clean exit" 0 $?
finish
