# t-writer: the cutover's writer switch by AWS, on the real MariaDB pair
# with the writer load running and the AWS test endpoint (fakeaws.py in
# front of moto):
#   writer = dns with a zone that does not exist: the switch fails with
#     Route 53's words, the freeze is undone, nothing lost;
#   writer = dns with ChangeResourceRecordSets failing (500): the same, and
#     the record is left as it was;
#   writer = ecs-env: the service runs a new task definition revision whose
#     variable holds the target host, and the rollback after it registers
#     one with the source host again;
#   writer = dns: the record holds the target host after the cutover, and
#     the source host again after the rollback; no write lost either way.
#
# The application. The writer load connects to whatever $T/writer.host
# says; here nothing but the application's own configuration moves it, the
# way a real fleet follows its database host: follow.py reads that
# configuration (the Route 53 record, or the variable in the service's task
# definition) straight from moto every 100 ms and rewrites the file. moto
# starts no task and has no resolver, so "the new deployment's tasks are
# up" and "the record has propagated" are both instant here.
#
# Both servers listen on 127.0.0.1 only, on two ports, but a record or a
# variable holds a host, not a port (ports are the application's business).
# So the plan names the source "127.1", which the resolver reads as
# 127.0.0.1 (inet_aton's short form), and the target "127.0.0.1": the two
# hosts differ as text, and follow.py maps each to its server's port.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

SRC_HOST=127.1
TGT_HOST=127.0.0.1
RECORD=db.shop.internal
VAR=DB_HOST

aws_start
aws_fixture
db_start

zone=$(aws_ route53 create-hosted-zone --name shop.internal \
    --caller-reference "t-writer-$$" --query HostedZone.Id)
zone=${zone#/hostedzone/}
expect_match "hosted zone made" '^[A-Z0-9]+$' "$zone"
# record_set HOST: the database host record, CNAME, TTL 5 s.
record_set() {
	aws_ route53 change-resource-record-sets --hosted-zone-id "$zone" \
	    --change-batch "{\"Changes\":[{\"Action\":\"UPSERT\",
	    \"ResourceRecordSet\":{\"Name\":\"$RECORD\",\"Type\":\"CNAME\",
	    \"TTL\":5,\"ResourceRecords\":[{\"Value\":\"$1\"}]}}]}" >/dev/null
}
record_value() {
	aws_ route53 list-resource-record-sets --hosted-zone-id "$zone" \
	    --query "ResourceRecordSets[?Name=='$RECORD.'].ResourceRecords[0].Value"
}
record_is() { [ "$(record_value)" = "$1" ]; }
record_set "$SRC_HOST"

# The service's task definition: web:2, the first with the variable.
aws_ ecs register-task-definition --family web \
    --requires-compatibilities FARGATE --network-mode awsvpc \
    --cpu 256 --memory 512 --container-definitions \
    "[{\"name\":\"web\",\"image\":\"nginx\",\"portMappings\":[{\"containerPort\":80}],
    \"environment\":[{\"name\":\"$VAR\",\"value\":\"$SRC_HOST\"}]}]" >/dev/null
aws_ ecs update-service --cluster shop --service web --task-definition web:2 \
    >/dev/null
service_td() {
	aws_ ecs describe-services --cluster shop --services web \
	    --query 'services[0].taskDefinition'
}
td_var() {
	aws_ ecs describe-task-definition --task-definition "$1" \
	    --query "taskDefinition.containerDefinitions[0].environment[?name=='$VAR'].value | [0]"
}
expect_match "the service runs web:2" '(^|/)web:2$' "$(service_td)"

cat > "$T/follow.py" <<'PY'
# follow.py MOTO_URL OUT MODE ARGS HOST=PORT...: the application's idea of
# its database host, read every 100 ms, written to OUT as 127.0.0.1:PORT.
#   dns ZONE NAME: the record's first value
#   ecs CLUSTER SERVICE VAR: VAR in the service's task definition
import json, os, re, sys, time, urllib.request
url, out, mode = sys.argv[1:4]
if mode == "dns":
    zone, name = sys.argv[4:6]; pairs = sys.argv[6:]
else:
    cluster, service, var = sys.argv[4:7]; pairs = sys.argv[7:]
ports = dict(p.split("=", 1) for p in pairs)
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/%s/"
        "aws4_request, SignedHeaders=host, Signature=0")
def ecs(op, body):
    r = urllib.request.Request(url + "/", data=json.dumps(body).encode(),
        headers={"X-Amz-Target": "AmazonEC2ContainerServiceV20141113." + op,
                 "Content-Type": "application/x-amz-json-1.1",
                 "Authorization": AUTH % "ecs"})
    return json.load(urllib.request.urlopen(r, timeout=2))
def host():
    if mode == "dns":
        r = urllib.request.Request("%s/2013-04-01/hostedzone/%s/rrset?name=%s"
            "&type=CNAME&maxitems=1" % (url, zone, name),
            headers={"Authorization": AUTH % "route53"})
        xml = urllib.request.urlopen(r, timeout=2).read().decode()
        m = re.search(r"<Value>([^<]*)</Value>", xml)
        return m.group(1) if m else None
    s = ecs("DescribeServices", {"cluster": cluster, "services": [service]})
    td = ecs("DescribeTaskDefinition", {"taskDefinition":
        s["services"][0]["taskDefinition"]})["taskDefinition"]
    for e in td["containerDefinitions"][0].get("environment", []):
        if e["name"] == var:
            return e["value"]
last = None
while True:
    try:
        h = host()
        if h in ports and h != last:
            with open(out + ".tmp", "w") as f:
                f.write("127.0.0.1:%s\n" % ports[h])
            os.rename(out + ".tmp", out)
            with open(out + ".log", "a") as f:
                f.write("%.3f %s\n" % (time.time(), h))
            last = h
    except Exception as e:
        sys.stderr.write("follow: %s\n" % e)
    time.sleep(0.1)
PY
FOLLOW_PID=
follow() {
	follow_stop
	python3 "$T/follow.py" "$MOTO_URL" "$T/writer.host" "$@" \
	    "$SRC_HOST=$SOURCE_PORT" "$TGT_HOST=$REPLICA_PORT" \
	    2>>"$T/follow.err" &
	FOLLOW_PID=$!
}
follow_stop() {
	if [ -n "$FOLLOW_PID" ]; then
		kill "$FOLLOW_PID" 2>/dev/null
		wait "$FOLLOW_PID" 2>/dev/null
		FOLLOW_PID=
	fi
}
eval "writer_test_cleanup() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() { follow_stop; writer_test_cleanup; }
writer_at() { [ "$(cat "$T/writer.host" 2>/dev/null)" = "127.0.0.1:$1" ]; }

# The plan: the source as $SRC_HOST, the writer switch by AWS.
aws_plan shop
sed -i -e "0,/^host = 127.0.0.1/s//host = $SRC_HOST/" \
    -e "s|^writer = hook|writer = dns\\ndns_zone_id = $zone\\ndns_record = $RECORD\\necs_env_name = $VAR\\nfreeze_timeout = 3s|" \
    "$T/plans/shop.ini"
# use_plan WRITER [ZONE]: the stored plan, changed while the daemon is
# stopped (the identity of a started migration cannot change by reload).
use_plan() {
	sed -i -e "s|^writer = .*|writer = $1|" \
	    -e "s|^dns_zone_id = .*|dns_zone_id = ${2:-$zone}|" "$T/plans/shop.ini"
	sqlite3 "$STATE" "UPDATE migrations SET plan_text =
	    CAST(readfile('$T/plans/shop.ini') AS TEXT) WHERE name = 'shop'"
}
undone() { history_has 'cutover -> shifting' "$1"; }

follow dns "$zone" "$RECORD"
writer_start 200
ok "the application follows the record" wait_for 10 writer_at "$SOURCE_PORT"
db_sync

# --- a zone that does not exist: undone with Route 53's words ---
stop_daemon
use_plan dns ZNOSUCHZONE0000
inject cutover
start_daemon
ok "no zone: the cutover is undone" wait_for 30 undone 1
expect_match "the undo names Route 53's error" \
    "writer switch failed \(ListResourceRecordSets: NoSuchHostedZone" \
    "$(journal | grep 'cutover -> shifting' | tail -1)"
expect_eq "the source is writable" 0 "$(src_sql 'SELECT @@global.read_only')"
expect_eq "the record is untouched" "$SRC_HOST" "$(record_value)"

# --- ChangeResourceRecordSets failing: undone, the record as it was ---
stop_daemon
use_plan dns
fake POST /_fake/faults '{"error_rate":1,"error_status":500,
    "operations":["ChangeResourceRecordSets"]}'
inject cutover
start_daemon
ok "UPSERT failing: the cutover is undone" wait_for 40 undone 2
fake POST /_fake/faults '{}'
expect_match "the undo names the failed UPSERT" \
    "writer switch failed \((ChangeResourceRecordSets: InternalFailure|the writer switch by Route 53 did not finish)" \
    "$(journal | grep 'cutover -> shifting' | tail -1)"
expect_eq "the source is writable" 0 "$(src_sql 'SELECT @@global.read_only')"
expect_eq "the record is untouched" "$SRC_HOST" "$(record_value)"
expect_eq "the writer never left the source" "127.0.0.1:$SOURCE_PORT" \
    "$(cat "$T/writer.host")"

# --- writer = ecs-env ---
stop_daemon
follow ecs shop web "$VAR"
use_plan ecs-env
inject cutover
start_daemon
ok "ecs-env: writer switched" wait_for 30 history_has 'cutover -> full_traffic'
td=$(service_td)
expect_match "the service runs a new revision" ':task-definition/web:3$' "$td"
expect_eq "whose variable holds the target host" "$TGT_HOST" "$(td_var "$td")"
expect_match "the switch is journaled" \
    "writer switch: ECS service shop/web updated to .*web:3 \($VAR=$TGT_HOST\)" \
    "$(journal)"
expect_eq "the writer moved to the target" "127.0.0.1:$REPLICA_PORT" \
    "$(cat "$T/writer.host")"
ok "writes commit on the target" wait_for 10 sql_ge replica \
    "SELECT COUNT(*) FROM shop.writes WHERE seq > $(src_sql 'SELECT MAX(seq) FROM shop.writes')" 1
sleep 1
writer_stop
expect_eq "no acknowledged write lost at the ecs-env cutover" 0 \
    "$(writer_lost "$REPLICA_PORT")"
# The rollback without load (the dns one below has it), so that both
# servers hold the same rows afterwards and replication can start again.
ctl abort shop >/dev/null 2>&1; ok "abort accepted" test $? -eq 0
ok "ecs-env: rolled back" wait_for 60 phase_is shop rolled_back
td=$(service_td)
expect_match "the rollback registered another revision" ':task-definition/web:4$' "$td"
expect_eq "whose variable holds the source host" "$SRC_HOST" "$(td_var "$td")"
ok "the application follows it to the source" wait_for 5 writer_at "$SOURCE_PORT"
expect_eq "the source is writable" 0 "$(src_sql 'SELECT @@global.read_only')"
expect_eq "the source has every acknowledged write" 0 \
    "$(writer_lost "$SOURCE_PORT")"

# Replication from the source again, for the next cutover: from the
# source's position now that nothing writes and both servers agree (what
# seeding would record).
stop_daemon
pos=$(src_sql 'SHOW MASTER STATUS' | awk '{ print $1, $2 }')
tgt_sql "CALL mysql.rds_set_external_master('$SRC_HOST', $SOURCE_PORT,
    'repl', '$(cat "$REPL_PASSWORD_FILE")', '${pos% *}', ${pos#* }, 0);
    CALL mysql.rds_start_replication;"
replicating_again() {
	mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Slave_SQL_Running: Yes'
}
ok "the target replicates from the source again" wait_for 10 replicating_again

# --- writer = dns: the record moves, and moves back ---
follow dns "$zone" "$RECORD"
writer_start 200
use_plan dns
inject cutover
start_daemon
ok "dns: writer switched" wait_for 30 history_has 'cutover -> full_traffic' 2
expect_eq "the record holds the target host" "$TGT_HOST" "$(record_value)"
expect_match "the switch is journaled" \
    "writer switch: Route 53 $RECORD CNAME -> $TGT_HOST, change [A-Z0-9]+ INSYNC after [0-9]+ ms" \
    "$(journal)"
expect_eq "the writer moved to the target" "127.0.0.1:$REPLICA_PORT" \
    "$(cat "$T/writer.host")"
expect_eq "the source stays read-only" 1 "$(src_sql 'SELECT @@global.read_only')"
sleep 1
writer_stop
expect_eq "no acknowledged write lost at the dns cutover" 0 \
    "$(writer_lost "$REPLICA_PORT")"

writer_start 200 "$REPLICA_PORT"
ok "the application still follows the record" wait_for 5 writer_at "$REPLICA_PORT"
sleep 1
ctl abort shop >/dev/null 2>&1; ok "abort accepted" test $? -eq 0
ok "dns: rolled back" wait_for 60 history_has '-> rolled_back' 2
expect_eq "the record holds the source host again" "$SRC_HOST" "$(record_value)"
expect_match "the switch back is journaled" \
    "writer switch back: Route 53 $RECORD CNAME -> $SRC_HOST, change [A-Z0-9]+ INSYNC" \
    "$(journal)"
expect_eq "the writer is on the source again" "127.0.0.1:$SOURCE_PORT" \
    "$(cat "$T/writer.host")"
expect_eq "the source is writable" 0 "$(src_sql 'SELECT @@global.read_only')"
sleep 1
writer_stop
expect_eq "no acknowledged write lost by the dns rollback" 0 \
    "$(writer_lost "$SOURCE_PORT")"
follow_stop
stop_daemon
finish
