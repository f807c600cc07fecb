#!/bin/bash
# test_fakedo.sh: self-test of the DigitalOcean API v2 test endpoint
# (fakedo.py). Starts it on a free port, then drives every endpoint with curl
# and reads each answer with python's json module: the token check, droplets
# by tag over pages with their links, actions polled to completion and their
# effect on the droplet, deletes (204, then 404), the other resources, the
# rate-limit headers and 429, and the control API's faults, log and state.
# One line per check, then "N passed, M failed"; exit status 1 on any failure.
. "$(dirname "$0")/selftest.sh"
TOKEN=do-test-token

selftest_start 10 --action-delay 0.3
[ "$FAKEDO_URL" = "http://127.0.0.1:$FAKEDO_PORT" ] ||
    { echo "FAIL FAKEDO_URL is $FAKEDO_URL" >&2; exit 1; }

# api METHOD PATH [JSON]: the API with the token; the status goes to
# $T/status, the headers to $T/headers, the body to stdout.
api() {
	curl -s -X "$1" -H "Authorization: Bearer ${TOK-$TOKEN}" \
	    -H 'Content-Type: application/json' ${3:+--data "$3"} \
	    -D "$T/headers" -o "$T/body" -w '%{http_code}' \
	    "$FAKEDO_URL$2" >"$T/status"
	cat "$T/body"
}
status() { cat "$T/status"; }
# act DROPLET TYPE [SECONDS]: start an action, then wait SECONDS (0.5: past
# the action delay); its id on stdout.
act() {
	api POST "/v2/droplets/$1/actions" "{\"type\":\"$2\"}" |
	    js 'j["action"]["id"]'
	sleep "${3:-0.5}"
}
# action_status ID, droplet_status ID: read one back.
action_status() { api GET "/v2/actions/$1" | js 'j["action"]["status"]'; }
droplet_status() { api GET "/v2/droplets/$1" | js 'j["droplet"]["status"]'; }
# header NAME: a header of the last api answer.
header() {
	tr -d '\r' <"$T/headers" | awk -v n="$1" \
	    'BEGIN { IGNORECASE = 1 } tolower($0) ~ "^" tolower(n) ":" \
	    { sub(/^[^:]*: */, ""); print }'
}
# js EXPR: evaluate a python expression on the JSON on stdin (bound to j).
js() {
	python3 -c 'import json, sys
try:
    j = json.load(sys.stdin)
except ValueError as e:
    print("NOT-JSON: %s" % e); sys.exit(0)
r = eval(sys.argv[1])
print(r if not isinstance(r, (dict, list)) else json.dumps(r, sort_keys=True))' "$1"
}

START=$(date +%s)

# ---- control API basics
check "health" '{"ok": true}' "$(ctl GET /_fake/health | js j)"
check "reset" "True" "$(ctl POST /_fake/reset '{}' | js 'j["ok"]')"
check "unknown control is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' \
    -X POST "$FAKEDO_URL/_fake/nothing")"
check "bad fault setting is 400" 400 "$(curl -s -o /dev/null \
    -w '%{http_code}' -X POST --data '{"error_rat": 1}' \
    "$FAKEDO_URL/_fake/faults")"

# ---- seed droplets: 5 tagged shop, 1 other
seed=$(ctl POST /_fake/droplets '{"droplets":[
    {"name":"web-1","tags":["shop","web"],"private_ip":"10.10.0.11"},
    {"name":"web-2","tags":["shop","web"],"private_ip":"10.10.0.12"},
    {"name":"web-3","tags":["shop"],"private_ip":"10.10.0.13"},
    {"name":"db-1","tags":["shop","db"],"private_ip":"10.10.0.21",
     "status":"off"},
    {"name":"web-4","tags":["shop"],"private_ip":"10.10.0.14",
     "region":"fra1"},
    {"name":"blog","tags":["blog"]}]}')
check "seed answers 6 increasing ids" "True" "$(echo "$seed" |
    js 'len(j["ids"]) == 6 and j["ids"] == sorted(set(j["ids"]))')"
ID1=$(echo "$seed" | js 'j["ids"][0]')
ID2=$(echo "$seed" | js 'j["ids"][1]')
ID3=$(echo "$seed" | js 'j["ids"][2]')
ID4=$(echo "$seed" | js 'j["ids"][3]')
ID5=$(echo "$seed" | js 'j["ids"][4]')
check "bad seed status is 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' \
    -X POST --data '{"droplets":[{"status":"running"}]}' \
    "$FAKEDO_URL/_fake/droplets")"

# ---- the token
body=$(TOK=wrong api GET /v2/droplets)
check "wrong token: 401" 401 "$(status)"
check "wrong token: DO's error" "unauthorized|Unable to authenticate you." \
    "$(echo "$body" | js '"%s|%s" % (j["id"], j["message"])')"
body=$(curl -s "$FAKEDO_URL/v2/droplets")
check "no Authorization: unauthorized" "unauthorized" \
    "$(echo "$body" | js 'j["id"]')"
body=$(curl -s -H "Authorization: Basic $TOKEN" "$FAKEDO_URL/v2/droplets")
check "not Bearer: unauthorized" "unauthorized" "$(echo "$body" | js 'j["id"]')"

# ---- droplets by tag, over pages
body=$(api GET "/v2/droplets?tag_name=shop&per_page=2")
check "list page 1: 200" 200 "$(status)"
check "list page 1: 2 droplets, total 5" "web-1 web-2 5" "$(echo "$body" |
    js '" ".join(d["name"] for d in j["droplets"]) + " " + str(j["meta"]["total"])')"
check "list page 1: links next/last, no prev" \
    "$FAKEDO_URL/v2/droplets?page=2&per_page=2&tag_name=shop $FAKEDO_URL/v2/droplets?page=3&per_page=2&tag_name=shop False" \
    "$(echo "$body" | js 'j["links"]["pages"]["next"] + " " + j["links"]["pages"]["last"] + " " + str("prev" in j["links"]["pages"])')"
check "droplet shape" "True" "$(echo "$body" | js 'all(k in j["droplets"][0]
    for k in ("id","name","memory","vcpus","disk","locked","status",
    "created_at","features","backup_ids","snapshot_ids","image","volume_ids",
    "size","size_slug","networks","region","tags","vpc_uuid"))')"
check "private and public v4" "10.10.0.11/private public" "$(echo "$body" |
    js '"%s/%s %s" % (j["droplets"][0]["networks"]["v4"][0]["ip_address"],
    j["droplets"][0]["networks"]["v4"][0]["type"],
    j["droplets"][0]["networks"]["v4"][1]["type"])')"
next=$(echo "$body" | js 'j["links"]["pages"]["next"]')
names=""
while [ "$next" != "None" ] && [ -n "$next" ]; do
	body=$(curl -s -H "Authorization: Bearer $TOKEN" "$next")
	names="$names $(echo "$body" | js '",".join(d["name"] for d in j["droplets"])')"
	last_links=$(echo "$body" | js 'sorted(j["links"].get("pages", {}))')
	next=$(echo "$body" | js 'j["links"].get("pages", {}).get("next")')
done
check "following next: pages 2 and 3" " web-3,db-1 web-4" "$names"
check "last page: first and prev only" '["first", "prev"]' "$last_links"
body=$(api GET "/v2/droplets?tag_name=blog")
check "one page: links {}" "{} 1" "$(echo "$body" |
    js 'json.dumps(j["links"]) + " " + str(j["meta"]["total"])')"
body=$(api GET "/v2/droplets?tag_name=none")
check "no match: empty list, total 0" "[] 0" "$(echo "$body" |
    js 'json.dumps(j["droplets"]) + " " + str(j["meta"]["total"])')"
body=$(api GET "/v2/droplets?per_page=500")
check "per_page capped at 200, all 6" "6" "$(echo "$body" | js 'len(j["droplets"])')"
body=$(api GET "/v2/droplets")
check "default per_page lists all 6" "6" "$(echo "$body" | js 'len(j["droplets"])')"
body=$(api GET "/v2/droplets?name=web-3")
check "by name" "$ID3" "$(echo "$body" | js 'j["droplets"][0]["id"]')"

# ---- one droplet
body=$(api GET "/v2/droplets/$ID5")
check "get droplet: 200" 200 "$(status)"
check "get droplet: name, region, status" "web-4 fra1 active" "$(echo "$body" |
    js '"%s %s %s" % (j["droplet"]["name"], j["droplet"]["region"]["slug"], j["droplet"]["status"])')"
body=$(api GET "/v2/droplets/999")
check "get unknown droplet: 404 not_found" "404 not_found|The resource you were accessing could not be found." \
    "$(status) $(echo "$body" | js '"%s|%s" % (j["id"], j["message"])')"
api GET /v2/nothing >/dev/null
check "unknown path: 404" 404 "$(status)"

# ---- rate-limit headers
api GET "/v2/droplets/$ID1" >/dev/null
rem1=$(header ratelimit-remaining)
api GET "/v2/droplets/$ID1" >/dev/null
rem2=$(header ratelimit-remaining)
check "ratelimit-limit 5000" 5000 "$(header ratelimit-limit)"
check "ratelimit-remaining counts down" "$((rem1 - 1))" "$rem2"
reset=$(header ratelimit-reset)
now=$(date +%s)
check "ratelimit-reset within the hour" "True" \
    "$(python3 -c "print($now < $reset <= $now + 3601)")"

# ---- actions (the first one slow enough to be seen in progress)
ctl POST /_fake/config '{"action_delay_s":1.5}' >/dev/null
body=$(api POST "/v2/droplets/$ID1/actions" '{"type":"shutdown"}')
check "shutdown: 201" 201 "$(status)"
check "action shape" "in-progress shutdown $ID1 droplet None nyc3" \
    "$(echo "$body" | js '"%s %s %s %s %s %s" % (j["action"]["status"],
    j["action"]["type"], j["action"]["resource_id"], j["action"]["resource_type"],
    j["action"]["completed_at"], j["action"]["region_slug"])')"
AID=$(echo "$body" | js 'j["action"]["id"]')
body=$(api POST "/v2/droplets/$ID1/actions" '{"type":"power_off"}')
check "second action while one pends: 422" "422 unprocessable_entity" \
    "$(status) $(echo "$body" | js 'j["id"]')"
body=$(api GET "/v2/actions/$AID")
check "action in progress at once" "in-progress" "$(echo "$body" | js 'j["action"]["status"]')"
ctl POST /_fake/config '{"action_delay_s":0.3}' >/dev/null
sleep 1.6
body=$(api GET "/v2/actions/$AID")
check "action completed after the delay" "completed True" "$(echo "$body" |
    js 'j["action"]["status"] + " " + str(j["action"]["completed_at"] is not None)')"
body=$(api GET "/v2/droplets/$ID1/actions/$AID")
check "action under its droplet" "completed" "$(echo "$body" | js 'j["action"]["status"]')"
api GET "/v2/droplets/$ID2/actions/$AID" >/dev/null
check "action under another droplet: 404" 404 "$(status)"
api GET "/v2/actions/1" >/dev/null
check "unknown action: 404" 404 "$(status)"
body=$(api GET "/v2/droplets/$ID1")
check "shutdown turned the droplet off" "off" "$(echo "$body" | js 'j["droplet"]["status"]')"

body=$(api POST "/v2/droplets/$ID2/actions" '{"type":"snapshot","name":"web-2-final"}')
AID=$(echo "$body" | js 'j["action"]["id"]')
check "snapshot of an active droplet: 201" 201 "$(status)"
sleep 0.5
body=$(api GET "/v2/actions/$AID")
check "snapshot completed" "completed" "$(echo "$body" | js 'j["action"]["status"]')"
body=$(api GET "/v2/droplets/$ID2")
check "snapshot id on the droplet, still active" "1 active" "$(echo "$body" |
    js '"%d %s" % (len(j["droplet"]["snapshot_ids"]), j["droplet"]["status"])')"
act "$ID2" power_off >/dev/null
check "power_off turned it off" "off" "$(droplet_status "$ID2")"
body=$(api POST "/v2/droplets/$ID2/actions" '{"type":"explode"}')
check "unknown action type: 422" "422 unprocessable_entity" \
    "$(status) $(echo "$body" | js 'j["id"]')"
api POST "/v2/droplets/999/actions" '{"type":"shutdown"}' >/dev/null
check "action on an unknown droplet: 404" 404 "$(status)"
api POST "/v2/droplets/$ID2/actions" '{"type":' >/dev/null
check "unparsable action body: 400" 400 "$(status)"

# action_error and shutdown_ignored
ctl POST /_fake/faults '{"action_error":{"type":"shutdown"}}' >/dev/null
AID=$(act "$ID3" shutdown)
check "action_error: shutdown errored" "errored" "$(action_status "$AID")"
check "errored shutdown left it active" "active" "$(droplet_status "$ID3")"
AID=$(act "$ID3" snapshot)
check "action_error: other types complete" "completed" "$(action_status "$AID")"
ctl POST /_fake/faults '{"shutdown_ignored":true}' >/dev/null
AID=$(act "$ID3" shutdown)
check "shutdown_ignored: completed" "completed" "$(action_status "$AID")"
check "shutdown_ignored: still active" "active" "$(droplet_status "$ID3")"
act "$ID3" power_off >/dev/null
check "shutdown_ignored: power_off works" "off" "$(droplet_status "$ID3")"
ctl POST /_fake/faults '{}' >/dev/null
check "config: action delay" "0.05" \
    "$(ctl POST /_fake/config '{"action_delay_s":0.05}' | js 'j["action_delay_s"]')"
AID=$(act "$ID3" power_on 0.15)
check "shorter delay: done sooner; power_on" "completed" "$(action_status "$AID")"
ctl POST /_fake/config '{"action_delay_s":0.3}' >/dev/null

# ---- deletes
api DELETE "/v2/droplets/$ID1" >/dev/null
check "delete droplet: 204, empty body" "204 0" "$(status) $(stat -c %s "$T/body")"
api GET "/v2/droplets/$ID1" >/dev/null
check "deleted droplet: 404" 404 "$(status)"
body=$(api DELETE "/v2/droplets/$ID1")
check "delete again: 404 not_found" "404 not_found" "$(status) $(echo "$body" | js 'j["id"]')"
body=$(api GET "/v2/droplets?tag_name=shop")
check "deleted droplet left the list" "4" "$(echo "$body" | js 'j["meta"]["total"]')"
state=$(ctl GET /_fake/state)
check "state: deleted, counts" "[$ID1] 1 2" "$(echo "$state" |
    js '"%s %d %d" % (json.dumps(j["deleted"]), j["delete_counts"]["'$ID1'"], j["delete_requests"]["'$ID1'"])')"
check "state: snapshots named" "web-2-final" "$(echo "$state" |
    js 'j["snapshots"][0]["name"]')"
check "state: actions listed" "True" "$(echo "$state" |
    js 'len(j["actions"]) >= 7 and all(a["status"] != "in-progress" for a in j["actions"])')"

res=$(ctl POST /_fake/resources '{"load_balancers":[{"name":"lb"}],
    "firewalls":[{"name":"fw"}],"reserved_ips":[{"ip":"203.0.113.7"}]}')
LB=$(echo "$res" | js 'j["load_balancers"][0]')
FW=$(echo "$res" | js 'j["firewalls"][0]')
check "seed resources" "203.0.113.7" "$(echo "$res" | js 'j["reserved_ips"][0]')"
for r in "load_balancers/$LB load_balancer name lb" "firewalls/$FW firewall name fw" \
    "reserved_ips/203.0.113.7 reserved_ip ip 203.0.113.7"; do
	set -- $r
	body=$(api GET "/v2/$1")
	check "get $2" "200 $4" "$(status) $(echo "$body" | js "j[\"$2\"][\"$3\"]")"
	api DELETE "/v2/$1" >/dev/null
	check "delete $2: 204" 204 "$(status)"
	body=$(api GET "/v2/$1")
	check "$2 gone: 404 not_found" "404 not_found" "$(status) $(echo "$body" | js 'j["id"]')"
	api DELETE "/v2/$1" >/dev/null
	check "delete $2 again: 404" 404 "$(status)"
done
check "state: deleted resources" "[\"$LB\"] [\"203.0.113.7\"]" \
    "$(ctl GET /_fake/state | js 'json.dumps(j["deleted_resources"]["load_balancer"]) + " " + json.dumps(j["deleted_resources"]["reserved_ip"])')"

# ---- faults
ctl POST /_fake/faults '{"error_rate":1,"error_status":503,"operations":["delete_droplet"],"count":1}' >/dev/null
body=$(api DELETE "/v2/droplets/$ID2")
check "error fault: 503 service_unavailable" "503 service_unavailable" \
    "$(status) $(echo "$body" | js 'j["id"]')"
api GET "/v2/droplets/$ID2" >/dev/null
check "a failed delete had no effect" 200 "$(status)"
api DELETE "/v2/droplets/$ID2" >/dev/null
check "count spent: the next delete passes" 204 "$(status)"
check "faults: injected 1" 1 "$(ctl GET /_fake/faults | js 'j["injected"]')"
ctl POST /_fake/faults '{"error_rate":1,"error_status":500,"operations":["list_droplets"]}' >/dev/null
body=$(api GET "/v2/droplets")
check "error fault: 500 server_error" "500 server_error" "$(status) $(echo "$body" | js 'j["id"]')"
api GET "/v2/droplets/$ID3" >/dev/null
check "other operations untouched" 200 "$(status)"
ctl POST /_fake/faults '{"error_rate":0.5,"seed":7}' >/dev/null
seq1=""; for _ in 1 2 3 4 5 6 7 8; do api GET "/v2/droplets/$ID3" >/dev/null; seq1="$seq1$(status | cut -c1)"; done
ctl POST /_fake/faults '{"error_rate":0.5,"seed":7}' >/dev/null
seq2=""; for _ in 1 2 3 4 5 6 7 8; do api GET "/v2/droplets/$ID3" >/dev/null; seq2="$seq2$(status | cut -c1)"; done
check "seeded draws repeat" "$seq1" "$seq2"
check_match "half fail, some pass" '^[25]*2[25]*$' "$seq1"
check_match "half fail, some fail" '^[25]*5[25]*$' "$seq1"
ctl POST /_fake/faults '{"garbage_rate":1,"operations":["get_droplet"]}' >/dev/null
body=$(api GET "/v2/droplets/$ID3")
check_match "garbage: 200, not JSON" "^200 NOT-JSON" "$(status) $(echo "$body" | js j)"
ctl POST /_fake/faults '{"unexpected_rate":1}' >/dev/null
body=$(api GET "/v2/droplets/$ID3")
check "unexpected: 200, wrong shape" '200 {"unexpected": true}' "$(status) $(echo "$body" | js j)"
ctl POST /_fake/faults '{"latency_ms":300,"operations":["get_action"]}' >/dev/null
t0=$(date +%s%N)
api GET "/v2/droplets/$ID3" >/dev/null
t1=$(date +%s%N)
api GET "/v2/actions/1" >/dev/null
t2=$(date +%s%N)
check "latency only where asked" "True True" "$(python3 -c "print(($t1 - $t0) < 250e6, ($t2 - $t1) >= 300e6)")"

# ---- rate limit: 429
ctl POST /_fake/faults '{"ratelimit":{"limit":3,"remaining":2,"reset_in_s":2}}' >/dev/null
api GET "/v2/droplets/$ID3" >/dev/null
check "budget: first of 2 passes" "200 3 1" "$(status) $(header ratelimit-limit) $(header ratelimit-remaining)"
api GET "/v2/droplets/$ID3" >/dev/null
check "budget: second passes, remaining 0" "200 0" "$(status) $(header ratelimit-remaining)"
body=$(api GET "/v2/droplets/$ID3")
check "budget spent: 429 too_many_requests" "429 too_many_requests|API Rate limit exceeded." \
    "$(status) $(echo "$body" | js '"%s|%s" % (j["id"], j["message"])')"
reset=$(header ratelimit-reset)
check_match "429: retry-after" '^[1-3]$' "$(header retry-after)"
check "429: remaining 0" 0 "$(header ratelimit-remaining)"
api GET "/v2/droplets/$ID3" >/dev/null
check "a 429 does not count" "429 0" "$(status) $(header ratelimit-remaining)"
while [ "$(date +%s)" -lt "$reset" ]; do sleep 0.1; done
api GET "/v2/droplets/$ID3" >/dev/null
check "after the reset: full budget" "200 3 2" "$(status) $(header ratelimit-limit) $(header ratelimit-remaining)"
check "next window: an hour" "True" "$(python3 -c "print($(header ratelimit-reset) - $reset == 3600)")"
TOK=wrong api GET "/v2/droplets/$ID3" >/dev/null
check "401 has no budget headers" "401 " "$(status) $(header ratelimit-limit)"

# ---- the log
log=$(ctl GET "/_fake/log?operation=delete_droplet")
check "log: deletes with status and fault" "204:None 404:None 503:error 204:None" \
    "$(echo "$log" | js '" ".join("%s:%s" % (e["status"], e["fault"]) for e in j)')"
check "log: entry fields" "True" "$(echo "$log" | js 'all(k in j[0] for k in
    ("seq","time","time_ms","method","path","operation","status","fault","elapsed_ms"))')"
last=$(ctl GET /_fake/log | js 'j[-1]["seq"]')
api GET "/v2/droplets/$ID3" >/dev/null
check "log: since" "get_droplet 200" "$(ctl GET "/_fake/log?since=$last" |
    js '" ".join("%s %s" % (e["operation"], e["status"]) for e in j)')"

# ---- reset
ctl POST /_fake/reset '{}' >/dev/null
body=$(api GET /v2/droplets)
check "reset: no droplets, full budget, empty log" "0 4999 1" "$(echo "$body" |
    js 'len(j["droplets"])') $(header ratelimit-remaining) $(ctl GET /_fake/log | js 'len(j)')"
check "reset: faults cleared" '{"injected": 0}' "$(ctl GET /_fake/faults | js j)"

selftest_end
