#!/bin/bash
# test_fakeaws.sh: self-test of the AWS fault endpoint (fakeaws.py). Starts it
# with its own moto, then drives it with the aws CLI on PATH (and Debian's
# /usr/bin/aws too when installed): builds the ALB, target groups, listener,
# ECS service and Route 53 zone the daemon works on, reads each change back
# with --query (the CLI accepts misspelled elements silently, so exit codes
# alone prove nothing), and checks the fake's own parts: signatures, injected
# target health, metric values, throttling, unusable answers, the clock,
# the request log.
# One line per check, then "N passed, M failed"; exit status 1 on any failure.
. "$(dirname "$0")/selftest.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

selftest_start 30 --spawn-moto --moto-log "$T/moto.log"
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1
export AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_PAGER='' AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE

# aws_ [CLI options...]: the CLI under test against the fake, text output;
# its stderr is left in $T/stderr.
aws_() { "$AWS" --endpoint-url "$FAKEAWS_URL" --output text "$@" 2>"$T/stderr"; }
# refused DESCRIPTION CODE ARGS...: aws_ ARGS fails, the CLI naming CODE.
refused() {
	local d=$1 code=$2
	shift 2
	aws_ "$@" >/dev/null
	check_match "$d" "\\($code\\)" "$(cat "$T/stderr")"
}
flat() { tr -s '\t\n' '  ' | sed 's/ *$//'; }

run_checks() {
	AWS=$1
	LABEL=$2
	ctl POST /_fake/reset '{"moto": true}' >/dev/null ||
	    fail "control API reset"

	# The network and the load balancer, as the daemon finds them.
	local vpc s1 s2 sg lb tg_do tg_ecs listener
	vpc=$(aws_ ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId)
	s1=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 \
	    --availability-zone us-east-1a --query Subnet.SubnetId)
	s2=$(aws_ ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.2.0/24 \
	    --availability-zone us-east-1b --query Subnet.SubnetId)
	sg=$(aws_ ec2 create-security-group --group-name web --vpc-id "$vpc" \
	    --description web --query GroupId)
	check_match "ec2 vpc, subnets, security group" \
	    '^vpc-.* subnet-.* subnet-.* sg-' "$vpc $s1 $s2 $sg"
	lb=$(aws_ elbv2 create-load-balancer --name shop --type application \
	    --subnets "$s1" "$s2" --query 'LoadBalancers[0].LoadBalancerArn')
	check_match "elbv2 create-load-balancer" \
	    ':loadbalancer/app/shop/' "$lb"
	tg_do=$(aws_ elbv2 create-target-group --name droplets --protocol HTTP \
	    --port 80 --vpc-id "$vpc" --target-type ip \
	    --query 'TargetGroups[0].TargetGroupArn')
	tg_ecs=$(aws_ elbv2 create-target-group --name ecs --protocol HTTP \
	    --port 80 --vpc-id "$vpc" --target-type ip \
	    --query 'TargetGroups[0].TargetGroupArn')
	check_match "elbv2 create-target-group (ip) x2" \
	    ':targetgroup/droplets/.* .*:targetgroup/ecs/' "$tg_do $tg_ecs"
	aws_ elbv2 register-targets --target-group-arn "$tg_do" \
	    --targets Id=10.0.1.5,Port=80 Id=10.0.1.6,Port=80 &&
	aws_ elbv2 register-targets --target-group-arn "$tg_ecs" \
	    --targets Id=10.0.2.7,Port=80
	check "elbv2 register-targets" 0 $?
	listener=$(aws_ elbv2 create-listener --load-balancer-arn "$lb" \
	    --protocol HTTP --port 80 --default-actions "[{\"Type\":\"forward\",
	    \"ForwardConfig\":{\"TargetGroups\":[
	    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":90},
	    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":10}]}}]" \
	    --query 'Listeners[0].ListenerArn')
	check_match "elbv2 create-listener (weighted forward)" ':listener/app/shop/' \
	    "$listener"
	local q='Listeners[0].DefaultActions[0].ForwardConfig.TargetGroups[*].Weight'
	check "describe-listeners weights" "90 10" "$(aws_ elbv2 \
	    describe-listeners --listener-arns "$listener" --query "$q" | flat)"
	aws_ elbv2 modify-listener --listener-arn "$listener" --default-actions \
	    "[{\"Type\":\"forward\",\"ForwardConfig\":{\"TargetGroups\":[
	    {\"TargetGroupArn\":\"$tg_do\",\"Weight\":75},
	    {\"TargetGroupArn\":\"$tg_ecs\",\"Weight\":25}]}}]" >/dev/null
	check "modify-listener weights read back" "75 25" "$(aws_ elbv2 \
	    describe-listeners --load-balancer-arn "$lb" --query "$q" | flat)"

	# Target health: moto says healthy; the fake says what the test wants.
	q='TargetHealthDescriptions[*].[Target.Id,TargetHealth.State]'
	check "describe-target-health from moto" "10.0.2.7 healthy" \
	    "$(aws_ elbv2 describe-target-health --target-group-arn "$tg_ecs" \
	    --query "$q" | flat)"
	ctl POST /_fake/target-health "{\"target_group_arn\":\"$tg_ecs\",
	    \"targets\":[{\"id\":\"10.0.2.7\",\"port\":80,\"state\":\"unhealthy\",
	    \"reason\":\"Target.FailedHealthChecks\",
	    \"description\":\"Health checks failed\"}]}" >/dev/null
	q='TargetHealthDescriptions[0].[Target.Id,Target.Port,HealthCheckPort,TargetHealth.State,TargetHealth.Reason,TargetHealth.Description]'
	check "describe-target-health injected unhealthy" \
	    "10.0.2.7 80 80 unhealthy Target.FailedHealthChecks Health checks failed" \
	    "$(aws_ elbv2 describe-target-health --target-group-arn "$tg_ecs" \
	    --query "$q" | flat)"
	ctl POST /_fake/target-health "{\"target_group_arn\":\"$tg_do\",
	    \"merge\":true,\"targets\":[{\"id\":\"10.0.1.6\",\"state\":\"draining\",
	    \"reason\":\"Target.DeregistrationInProgress\"}]}" >/dev/null
	check "describe-target-health merged with moto's" \
	    "10.0.1.5 healthy 10.0.1.6 draining" "$(aws_ elbv2 \
	    describe-target-health --target-group-arn "$tg_do" --query \
	    'TargetHealthDescriptions[*].[Target.Id,TargetHealth.State]' | flat)"

	# ECS: the service the traffic moves to.
	local td svc
	aws_ ecs create-cluster --cluster-name shop >/dev/null
	td=$(aws_ ecs register-task-definition --family web \
	    --requires-compatibilities FARGATE --network-mode awsvpc \
	    --cpu 256 --memory 512 --container-definitions \
	    '[{"name":"web","image":"nginx","portMappings":[{"containerPort":80}]}]' \
	    --query taskDefinition.taskDefinitionArn)
	check_match "ecs register-task-definition" ':task-definition/web:1$' "$td"
	svc=$(aws_ ecs create-service --cluster shop --service-name web \
	    --task-definition web --desired-count 2 --launch-type FARGATE \
	    --deployment-controller type=ECS \
	    --network-configuration "awsvpcConfiguration={subnets=[$s1,$s2],securityGroups=[$sg],assignPublicIp=DISABLED}" \
	    --load-balancers "targetGroupArn=$tg_ecs,containerName=web,containerPort=80" \
	    --query service.serviceArn)
	check_match "ecs create-service" ':service/shop/web$' "$svc"
	q='services[0].[desiredCount,deploymentController.type,deployments[0].status,deployments[0].rolloutState]'
	check "ecs describe-services (moto: rollout never completes)" \
	    "2 ECS PRIMARY IN_PROGRESS" "$(aws_ ecs describe-services \
	    --cluster shop --services web --query "$q" | flat)"
	ctl POST /_fake/ecs-service '{"cluster": "shop", "service": "web",
	    "rolloutState": "COMPLETED", "runningCount": 2, "pendingCount": 0}' \
	    >/dev/null
	check "ecs describe-services, rollout completed by the fake" \
	    "COMPLETED 2 2" "$(aws_ ecs describe-services --cluster shop \
	    --services web --query 'services[0].[deployments[0].rolloutState,deployments[0].runningCount,runningCount]' | flat)"
	aws_ ecs update-service --cluster shop --service web --desired-count 4 \
	    >/dev/null
	check "ecs update-service desired count" "4" "$(aws_ ecs \
	    describe-services --cluster shop --services web \
	    --query 'services[0].desiredCount')"

	# STS: what preflight asks first.
	check "sts get-caller-identity" "123456789012" \
	    "$(aws_ sts get-caller-identity --query Account)"

	# CloudWatch: the gates' metrics, injected.
	local tgdim=${tg_ecs#*:targetgroup/}
	tgdim=targetgroup/$tgdim
	ctl POST /_fake/metrics "{\"values\":{
	    \"HTTPCode_Target_5XX_Count\":{\"$tgdim\":[3,0,null,1]},
	    \"TargetResponseTime\":{\"$tgdim\":{\"p95\":[0.25,0.5]}}}}" >/dev/null
	local end now
	now=$(date -u +%s)
	end=$(( now / 60 * 60 ))
	aws_ cloudwatch get-metric-data --start-time $((end - 600)) \
	    --end-time "$end" --scan-by TimestampDescending --metric-data-queries \
	    "[{\"Id\":\"e5xx\",\"MetricStat\":{\"Metric\":{
	    \"Namespace\":\"AWS/ApplicationELB\",
	    \"MetricName\":\"HTTPCode_Target_5XX_Count\",\"Dimensions\":[
	    {\"Name\":\"TargetGroup\",\"Value\":\"$tgdim\"},
	    {\"Name\":\"LoadBalancer\",\"Value\":\"app/shop/x\"}]},
	    \"Period\":60,\"Stat\":\"Sum\"}},
	    {\"Id\":\"p95\",\"MetricStat\":{\"Metric\":{
	    \"Namespace\":\"AWS/ApplicationELB\",
	    \"MetricName\":\"TargetResponseTime\",\"Dimensions\":[
	    {\"Name\":\"TargetGroup\",\"Value\":\"$tgdim\"}]},
	    \"Period\":60,\"Stat\":\"p95\"}},
	    {\"Id\":\"none\",\"MetricStat\":{\"Metric\":{
	    \"Namespace\":\"AWS/ApplicationELB\",\"MetricName\":\"RequestCount\",
	    \"Dimensions\":[{\"Name\":\"TargetGroup\",\"Value\":\"$tgdim\"}]},
	    \"Period\":60,\"Stat\":\"Sum\"}}]" --output json >"$T/gmd.json"
	check "cloudwatch get-metric-data values (5xx, p95, none)" \
	    "e5xx=3.0,0.0,1.0 p95=0.25,0.5 none=" "$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["MetricDataResults"]
print(" ".join("%s=%s" % (m["Id"], ",".join(map(str, m["Values"]))) for m in r))
' "$T/gmd.json")"
	check "cloudwatch get-metric-data timestamps newest first, by period" \
	    "$((end - 60)) $((end - 120)) $((end - 240))" "$(python3 -c '
import json, sys
from datetime import datetime
r = json.load(open(sys.argv[1]))["MetricDataResults"][0]
print(" ".join(str(int(t if isinstance(t, (int, float))
                      else datetime.fromisoformat(t).timestamp()))
               for t in r["Timestamps"]))
' "$T/gmd.json")"

	# Route 53: the dns writer switch.
	local zone change
	zone=$(aws_ route53 create-hosted-zone --name shop.test \
	    --caller-reference "ref-$LABEL-$$" --query HostedZone.Id)
	check_match "route53 create-hosted-zone" '^/hostedzone/' "$zone"
	change=$(aws_ route53 change-resource-record-sets --hosted-zone-id \
	    "${zone#/hostedzone/}" --change-batch '{"Changes":[{"Action":"UPSERT",
	    "ResourceRecordSet":{"Name":"db.shop.test","Type":"CNAME","TTL":5,
	    "ResourceRecords":[{"Value":"rds.example.internal"}]}}]}' \
	    --query ChangeInfo.Id)
	check_match "route53 change-resource-record-sets UPSERT" '^/change/' \
	    "$change"
	check "route53 get-change" "INSYNC" "$(aws_ route53 get-change \
	    --id "${change#/change/}" --query ChangeInfo.Status)"
	check "route53 record read back" "db.shop.test. 5 rds.example.internal" \
	    "$(aws_ route53 list-resource-record-sets --hosted-zone-id \
	    "${zone#/hostedzone/}" --query \
	    "ResourceRecordSets[?Type=='CNAME'].[Name,TTL,ResourceRecords[0].Value]" \
	    | flat)"

	# Signatures.
	AWS_SECRET_ACCESS_KEY=wrong refused "wrong secret: query protocol" \
	    SignatureDoesNotMatch sts get-caller-identity
	AWS_SECRET_ACCESS_KEY=wrong refused "wrong secret: elbv2" \
	    SignatureDoesNotMatch elbv2 describe-load-balancers
	AWS_SECRET_ACCESS_KEY=wrong refused "wrong secret: JSON protocol" \
	    InvalidSignatureException ecs list-clusters
	AWS_SECRET_ACCESS_KEY=wrong refused "wrong secret: rest-xml" \
	    SignatureDoesNotMatch route53 list-hosted-zones
	AWS_ACCESS_KEY_ID=AKIDUNKNOWN refused "unknown key: JSON protocol" \
	    UnrecognizedClientException ecs list-clusters
	AWS_ACCESS_KEY_ID=AKIDUNKNOWN refused "unknown key: query protocol" \
	    InvalidClientTokenId sts get-caller-identity
	check_match "no Authorization header" \
	    '^403 .*<Code>MissingAuthenticationToken</Code>' "$(curl -s \
	    -w '%{http_code} ' -o "$T/body" --data \
	    'Action=GetCallerIdentity&Version=2011-06-15' "$FAKEAWS_URL/" &&
	    cat "$T/body")"

	# Faults.
	ctl POST /_fake/faults '{"clock_offset_s": 1200}' >/dev/null
	aws_ sts get-caller-identity >/dev/null
	check_match "clock 20 min ahead: signature expired" \
	    '\(SignatureDoesNotMatch\).*Signature expired' "$(cat "$T/stderr")"
	ctl POST /_fake/faults \
	    '{"throttle_rate": 1.0, "operations": ["DescribeListeners", "DescribeServices"]}' \
	    >/dev/null
	aws_ elbv2 describe-listeners --listener-arns "$listener" >/dev/null
	check_match "throttled: query protocol" '\(Throttling\).*Rate exceeded' \
	    "$(cat "$T/stderr")"
	refused "throttled: JSON protocol" ThrottlingException \
	    ecs describe-services --cluster shop --services web
	check "other operations not throttled" "2" "$(aws_ elbv2 \
	    describe-target-groups --load-balancer-arn "$lb" \
	    --query 'length(TargetGroups)' 2>&1)"
	ctl POST /_fake/faults \
	    '{"error_rate": 1.0, "error_status": 503, "operations": ["GetCallerIdentity"], "count": 1}' \
	    >/dev/null
	refused "injected 503" ServiceUnavailable sts get-caller-identity
	check "fault count spent, next call passes" "123456789012" \
	    "$(aws_ sts get-caller-identity --query Account)"
	ctl POST /_fake/faults '{"latency_ms": 700, "operations": ["ListClusters"]}' \
	    >/dev/null
	local t0 t1
	t0=$(date +%s%N)
	aws_ ecs list-clusters >/dev/null
	t1=$(date +%s%N)
	check "latency injected (>= 700 ms)" 1 \
	    "$(( (t1 - t0) / 1000000 >= 700 ))"

	# The request log: what was called, when, and how it was answered.
	check "log: ModifyListener signed, answered 200 by moto" \
	    "elasticloadbalancing ModifyListener 200 True moto" "$(
	    curl -s "$FAKEAWS_URL/_fake/log?operation=ModifyListener" |
	    python3 -c '
import json, sys
e = json.load(sys.stdin)[0]
print(e["service"], e["operation"], e["status"], e["sig_ok"], e["answered_by"],
      "" if e["time_ms"] > 1e12 else "bad time")' | sed 's/ *$//')"
	check "log: the throttled and failed calls" \
	    "DescribeListeners:throttle:400 DescribeServices:throttle:400 GetCallerIdentity:unavailable:503" \
	    "$(curl -s "$FAKEAWS_URL/_fake/log" | python3 -c '
import json, sys
print(" ".join("%s:%s:%d" % (e["operation"], e["fault"], e["status"])
               for e in json.load(sys.stdin) if e["fault"]))')"
	check "log: bad signatures seen" "8" "$(curl -s "$FAKEAWS_URL/_fake/log" |
	    python3 -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin) if not e["sig_ok"]))')"

	# Answers that cannot be used, 200 all the same: cut short, or of the
	# wrong shape. The CLI refuses the XML ones; a JSON 200 it takes as it
	# comes (botocore reads a body that does not parse as {"message": ...}),
	# so there the checks are that moto's service did not come through and
	# what the raw reply was.
	local f rc out since ops='"DescribeListeners", "DescribeServices", "ListHostedZones"'
	since=$(curl -s "$FAKEAWS_URL/_fake/log" | python3 -c 'import json,sys;
print(max([e["seq"] for e in json.load(sys.stdin)] + [0]))')
	local raw n
	for f in garbage unexpected; do
		raw='{"services": ['; n=4
		[ $f = garbage ] || { raw='{"unexpected": true}'; n=3; }
		ctl POST /_fake/faults "{\"${f}_rate\": 1.0, \"operations\": [$ops]}" \
		    >/dev/null
		aws_ elbv2 describe-listeners --listener-arns "$listener" >/dev/null
		rc=$?
		if [ $f = garbage ]; then
			check_match "$f: elbv2 describe-listeners fails, unparsable" \
			    '^[1-9][0-9]* .*Unable to parse response.*invalid XML.*<DescribeListenersResponse xmlns=[^>]*><Describe' \
			    "$rc $(tr '\n' ' ' <"$T/stderr")"
			aws_ route53 list-hosted-zones >/dev/null
			check_match "$f: route53 list-hosted-zones fails, unparsable" \
			    '^[1-9][0-9]* .*Unable to parse response' \
			    "$? $(tr '\n' ' ' <"$T/stderr")"
		else
			check_match "$f: elbv2 describe-listeners fails, no result" \
			    "^[1-9][0-9]* .*'DescribeListenersResult'" \
			    "$rc $(tr '\n' ' ' <"$T/stderr")"
		fi
		out=$(aws_ ecs describe-services --cluster shop --services web \
		    --query 'services[0].serviceName')
		check_match "$f: ecs describe-services, the service not read" \
		    '^([1-9][0-9]* |0 None$)' "$? $out"
		check "$f: the raw JSON reply" "200 application/x-amz-json-1.1 $raw" \
		    "$(curl -s -o "$T/body" -w '%{http_code} %{content_type} ' \
		    --aws-sigv4 aws:amz:us-east-1:ecs \
		    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		    -H 'Content-Type: application/x-amz-json-1.1' \
		    -H 'X-Amz-Target: AmazonEC2ContainerServiceV20141113.DescribeServices' \
		    --data '{"cluster": "shop", "services": ["web"]}' \
		    "$FAKEAWS_URL/" && cat "$T/body")"
		check "$f: counted" "$n" "$(curl -s "$FAKEAWS_URL/_fake/faults" |
		    python3 -c 'import json,sys; print(json.load(sys.stdin)["injected"])')"
	done
	check "log: unusable answers by the fake, not moto" \
	    "DescribeListeners:garbage:200:fakeaws ListHostedZones:garbage:200:fakeaws DescribeServices:garbage:200:fakeaws DescribeServices:garbage:200:fakeaws DescribeListeners:unexpected:200:fakeaws DescribeServices:unexpected:200:fakeaws DescribeServices:unexpected:200:fakeaws" \
	    "$(curl -s "$FAKEAWS_URL/_fake/log?since=$since" | python3 -c '
import json, sys
print(" ".join("%s:%s:%d:%s" % (e["operation"], e["fault"], e["status"],
               e["answered_by"]) for e in json.load(sys.stdin)))')"
	ctl POST /_fake/reset >/dev/null
	check "reset clears faults and log" "0 {}" "$(curl -s \
	    "$FAKEAWS_URL/_fake/log" | python3 -c 'import json,sys;
print(len(json.load(sys.stdin)), end=" ")'; curl -s \
	    "$FAKEAWS_URL/_fake/faults" | python3 -c 'import json,sys;
print(json.dumps(json.load(sys.stdin)["faults"]))')"
}

# The fake's own verifier against AWS's SigV4 test suite: each signed
# request (.sreq) is replayed byte for byte with the fake's clock set to the
# suite's date, and must be accepted; the same request with a changed header
# must not. get-space is left out: its path has a raw space, which no HTTP
# request line can carry.
sigv4_suite() {
	LABEL="sigv4 suite"
	local dir=$HERE/../data/sigv4
	if [ ! -d "$dir" ]; then
		echo "skip $LABEL: no $dir"
		return
	fi
	ctl POST /_fake/reset >/dev/null
	ctl POST /_fake/faults \
	    "{\"clock_offset_s\": $(( 1440938160 - $(date +%s) ))}" >/dev/null
	local out
	out=$(python3 - "$dir" "$FAKEAWS_PORT" <<'PY'
import glob, json, os, socket, sys, urllib.request

root, port = sys.argv[1], int(sys.argv[2])

def send(raw):
    head, _, body = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    if body:
        lines.append(b"Content-Length: %d" % len(body))
    lines.append(b"Connection: close")
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        while s.recv(65536):
            pass

def last_ok():
    with urllib.request.urlopen("http://127.0.0.1:%d/_fake/log" % port) as r:
        return json.load(r)[-1]["sig_ok"]

accepted, refused, total = [], [], 0
for path in sorted(glob.glob(os.path.join(root, "**", "*.sreq"),
                             recursive=True)):
    case = os.path.basename(path)[:-5]
    if case == "get-space":
        continue
    raw = open(path, "rb").read().replace(b"\r\n", b"\n")
    total += 1
    send(raw)
    if last_ok():
        accepted.append(case)
    send(raw.replace(b"X-Amz-Date:20150830T123600Z",
                     b"X-Amz-Date:20150830T123601Z"))
    if not last_ok():
        refused.append(case)
print(len(accepted), len(refused), total,
      " ".join(sorted(set(accepted) ^ set(refused))))
PY
)
	local accepted refused total wrong
	read -r accepted refused total wrong <<<"$out"
	check "signed requests accepted" "$total" "${accepted:-?}"
	check "tampered requests refused" "$total" "${refused:-?}"
	[ -z "$wrong" ] || fail "cases not right: $wrong"
	ctl POST /_fake/reset >/dev/null
}

START=$(date +%s)
sigv4_suite
run_checks aws "aws ($(aws --version 2>&1 | cut -d' ' -f1))"
if [ -x /usr/bin/aws ]; then
	run_checks /usr/bin/aws "/usr/bin/aws ($(/usr/bin/aws --version 2>&1 |
	    cut -d' ' -f1))"
fi
selftest_end
