# t-decom: preflight's DigitalOcean checks and the decommission phase,
# against the DigitalOcean test endpoint (tests/fakes/fakedo.py) and the
# AWS one (fakeaws in front of moto). Preflight names a tagged droplet
# that does not serve, and one that is the source database. Decommission
# refuses without approval and before the proof; after approval the
# droplets leave the target group, shut down (a shutdown that does not
# take ends in power_off), are snapshotted, and after the grace period
# deleted, with the plan's other resources and the droplets' target
# group; an action that errors at DigitalOcean pauses with its message;
# a SIGKILL while deleting deletes every droplet exactly once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/aws.sh"

aws_start
aws_fixture
mkdir -p "$T/secrets"
echo "do-decom-token" > "$T/secrets/do"; chmod 600 "$T/secrets/do"
python3 "$TOP/tests/fakes/fakedo.py" --port 0 --token do-decom-token \
    --action-delay 0.3 --env-file "$T/do.env" >"$T/fakedo.out" \
    2>"$T/fakedo.err" &
DOPID=$!
eval "aws_cleanup_more() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() {
	kill "$DOPID" 2>/dev/null; wait "$DOPID" 2>/dev/null
	aws_cleanup_more
}
wait_for 20 test -s "$T/do.env" || { fail "fakedo did not start"; finish; }
. "$T/do.env"
DO_TEST_URL=$FAKEDO_URL

dofake() {
	curl -sf -X "$1" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"} "$FAKEDO_URL$2"
}
dostate() { dofake GET /_fake/state; }
# The fleet: the two droplets in the target group, and the database.
ids=$(dofake POST /_fake/droplets '{"droplets":[
    {"name":"web-1","tags":["shop-web"],"private_ip":"10.0.1.5","status":"active"},
    {"name":"web-2","tags":["shop-web"],"private_ip":"10.0.1.6","status":"active"},
    {"name":"db-1","tags":["shop-db"],"private_ip":"10.0.1.9","status":"active"}]}')
db_id=$(printf '%s' "$ids" | jget ids.2)
lb=$(dofake POST /_fake/resources '{"load_balancers":[{"name":"shop-lb"}]}' |
    jget load_balancers.0)

# plan NAME [EXTRA]: make_plan with the fixture's ARNs, a short grace.
plan() {
	make_plan "$1" "grace = 2s
shutdown_timeout = 1s
load_balancers = $lb
${2:-}"
	sed -i -e "s|^listener_arn = .*|listener_arn = $listener|" \
	    -e "s|^droplet_target_group_arn = .*|droplet_target_group_arn = $tg_do|" \
	    -e "s|^ecs_target_group_arn = .*|ecs_target_group_arn = $tg_ecs|" \
	    "$T/plans/$1.ini"
}
progress_of() { ctl --json status "$1" | jget migrations.0.progress; }

# --- preflight: the tag against the target group ---
plan shop
start_daemon
preflight shop
r=$(reason_of shop)
if printf '%s' "$r" | grep -q "DigitalOcean"; then
	fail "the fleet is right, yet DigitalOcean is named: $r"
else
	pass
fi
# A tagged droplet outside the target group would be deleted.
dofake POST /_fake/droplets '{"droplets":[{"name":"web-3","tags":["shop-web"],
    "private_ip":"10.0.1.7","status":"active"}]}' >/dev/null
ctl retry shop >/dev/null
ok "preflight again" wait_for 30 phase_is shop failed
expect_match "a tagged droplet that does not serve" \
    "droplet web-3 \(10\.0\.1\.7\) has tag shop-web but is not a target of the droplet target group: decommission would delete it" \
    "$(reason_of shop)"
web3=$(dostate | /usr/bin/python3 -c 'import json,sys
print([d["id"] for d in json.load(sys.stdin)["droplets"] if d["name"]=="web-3"][0])')
curl -sf -X DELETE -H "Authorization: Bearer do-decom-token" \
    "$FAKEDO_URL/v2/droplets/$web3" >/dev/null
ctl abort shop "next case" >/dev/null
wait_for 10 phase_is shop rolled_back

# --- decommission ---
# A migration that got through the soak, as the facts record it.
soaked() {
	sqlite3 "$STATE" "UPDATE migrations SET phase = 'decommission',
	    resume_to = NULL, reason = NULL, step = 2 WHERE name = '$1';
	    INSERT INTO facts (mig, key, value, updated) SELECT id,
	    'cutover.switched', '1', 0 FROM migrations WHERE name = '$1';
	    INSERT INTO facts (mig, key, value, updated) SELECT id,
	    'soak.passed', '1', 0 FROM migrations WHERE name = '$1';
	    ${2:+INSERT INTO facts (mig, key, value, updated) SELECT id, 'proof.verdict', '$2', 0 FROM migrations WHERE name = '$1';}"
}
plan early
sed -i 's/^port = 3306/port = 3307/' "$T/plans/early.ini"
plan decom
sed -i 's/^port = 3306/port = 3308/' "$T/plans/decom.ini"
ctl create "$T/plans/early.ini" >/dev/null
ctl create "$T/plans/decom.ini" >/dev/null
stop_daemon
soaked early
soaked decom ok
start_daemon

# Without a passed proof, approval is refused; nothing moves.
out=$(ctl approve early 2>&1)
expect_match "approve before the proof: refused" "checksum proof has not passed" "$out"
# Without approval, the droplets stay.
ok "waiting for approval" wait_for 10 sh -c \
    "'$BIN/migratectl' -s '$SOCK' --json status decom | grep -q 'waiting for approval'"
sleep 1
expect_eq "nothing done without approval" 0 \
    "$(curl -sf "$FAKEDO_URL/_fake/log?operation=droplet_action" |
    /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# The first shutdown errors at DigitalOcean: paused with its message.
dofake POST /_fake/faults '{"action_error":{"type":"shutdown"},"count":1}' >/dev/null
ctl approve decom >/dev/null
ok "an errored action pauses" wait_for 20 phase_is decom paused
expect_match "the action's failure named" \
    "DigitalOcean's shutdown of droplet web-[12] \([0-9]+\) errored" \
    "$(reason_of decom)"
expect_eq "targets deregistered first" "None" \
    "$(aws_moto elbv2 describe-target-health --target-group-arn "$tg_do" \
    --query 'TargetHealthDescriptions[0].Target.Id')"
# The next: the droplets ignore their shutdown; power_off after 1 s.
dofake POST /_fake/faults '{"shutdown_ignored":true}' >/dev/null
ctl resume decom >/dev/null
ok "snapshots taken" wait_for 30 sh -c \
    "'$BIN/migratectl' -s '$SOCK' history decom | grep -c 'snapshot of droplet .* completed' | grep -qx 2"
ok "power_off after the ignored shutdown" sh -c \
    "'$BIN/migratectl' -s '$SOCK' history decom | grep -q 'powering it off'"
ok "the grace period counts down" wait_for 5 sh -c \
    "'$BIN/migratectl' -s '$SOCK' --json status decom | grep -q 'delete_in_ms'"
# SIGKILL while the deletes go out (slowed down), then restart.
dofake POST /_fake/faults '{"latency_ms":700,"operations":["delete_droplet"]}' >/dev/null
ok "deleting" wait_for 20 sh -c \
    "'$BIN/migratectl' -s '$SOCK' --json status decom | grep -q 'deleting droplet'"
sleep 0.3
kill9_daemon
sleep 1
dofake POST /_fake/faults '{}' >/dev/null
start_daemon
# The fixture's listener still forwards to the droplets' target group (the
# migration was put here, past full_traffic): AWS refuses to delete it.
ok "the target group in use: paused" wait_for 30 phase_is decom paused
expect_match "what forwards to it, named" \
    "DeleteTargetGroup: ResourceInUse: .*in use by a listener or a rule" \
    "$(reason_of decom)"
aws_moto elbv2 modify-listener --listener-arn "$listener" --default-actions \
    "[{\"Type\":\"forward\",\"TargetGroupArn\":\"$tg_ecs\"}]" >/dev/null
ctl resume decom >/dev/null
ok "decommissioned: done" wait_for 30 phase_is decom done
st=$(dostate)
counts=$(printf '%s' "$st" | /usr/bin/python3 -c 'import json,sys
s=json.load(sys.stdin); names={str(d["id"]):d["name"] for d in s["droplets"]}
print(" ".join(sorted("%s" % v for k, v in s["delete_counts"].items())))')
expect_eq "each droplet deleted exactly once" "1 1 1" "$counts"
expect_match "the database droplet untouched" "\"name\": ?\"db-1\"" "$st"
expect_match "web-1 and web-2 gone" '^\[\]$' \
    "$(printf '%s' "$st" | /usr/bin/python3 -c 'import json,sys
print(json.dumps([d["name"] for d in json.load(sys.stdin)["droplets"] if d["name"].startswith("web")]))')"
expect_match "the load balancer deleted" "load_balancer $lb (deleted|was gone already)" \
    "$(ctl history decom)"
expect_eq "the droplets' target group deleted" "" \
    "$(aws_moto elbv2 describe-target-groups --query "TargetGroups[?TargetGroupArn=='$tg_do'].TargetGroupArn")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
