# rehearsal.sh: a whole migration on one machine, from create to done,
# sourced after lib.sh, db.sh and aws.sh by the demo (tests/demo.sh), its
# end-to-end test (t-rehearsal.sh) and the chaos test (t-chaos.sh).
#
# Everything is real but the clouds: a MariaDB source and replica (the
# replica with RDS's procedures), the AWS test endpoint (fakeaws in front
# of moto) with an ALB, two target groups and an ECS service, the
# DigitalOcean test endpoint with the fleet, a writer committing 200 rows
# a second through the whole run, and the daemon. The plan is the
# production one with short clocks: bakes and soak of seconds, a grace of
# seconds before the droplets are deleted.

DOPID=
eval "rh_aws_cleanup() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() {
	if [ -n "$DOPID" ]; then
		kill "$DOPID" 2>/dev/null
		wait "$DOPID" 2>/dev/null
	fi
	rh_aws_cleanup
}

# rh_metrics: the ALB's datapoints for both target groups (1000 requests,
# a few 5xx, p99 around 120 ms): what healthy traffic looks like.
rh_metrics() {
	fake POST /_fake/metrics "{\"values\": {
	    \"RequestCount\": {\"$tg_ecs_dim\": [1000], \"$tg_do_dim\": [1000]},
	    \"HTTPCode_Target_5XX_Count\": {\"$tg_ecs_dim\": [1], \"$tg_do_dim\": [1]},
	    \"TargetResponseTime\": {\"$tg_ecs_dim\": {\"p99\": [0.118]},
	        \"$tg_do_dim\": {\"p99\": [0.131]}}}}" >/dev/null
}

# rh_start: every part, the plan, the writer load and the daemon.
rh_start() {
	local token=do-rehearsal-token
	aws_start
	aws_fixture
	# moto never finishes an ECS deployment: the endpoint says it did,
	# as ECS does once the new tasks are up.
	fake POST /_fake/ecs-service '{"cluster":"shop","service":"web",
	    "rolloutState":"COMPLETED","runningCount":2,"pendingCount":0}' \
	    >/dev/null
	rh_metrics

	mkdir -p "$T/secrets"
	echo "$token" > "$T/secrets/do"
	chmod 600 "$T/secrets/do"
	python3 "$TOP/tests/fakes/fakedo.py" --port 0 --token "$token" \
	    --action-delay 0.5 --env-file "$T/do.env" >"$T/fakedo.out" \
	    2>"$T/fakedo.err" &
	DOPID=$!
	if ! wait_for 20 test -s "$T/do.env"; then
		fail "the DigitalOcean test endpoint did not start"
		finish
	fi
	. "$T/do.env"
	DO_TEST_URL=$FAKEDO_URL
	curl -sf -X POST -H 'Content-Type: application/json' \
	    "$FAKEDO_URL/_fake/droplets" --data '{"droplets":[
	    {"name":"web-1","tags":["shop-web"],"private_ip":"10.0.1.5"},
	    {"name":"web-2","tags":["shop-web"],"private_ip":"10.0.1.6"},
	    {"name":"db-1","tags":["shop-db"],"private_ip":"10.0.1.9"}]}' \
	    >/dev/null

	db_start
	src_sql "SET sql_log_bin = 0; USE shop;
	    CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40),
	        price DECIMAL(8,2));
	    INSERT INTO shop.items SELECT seq, CONCAT('item ', seq), seq / 7
	        FROM seq_1_to_20000;"
	rh_plan
	writer_start 200
	write_config
	sed -i 's/^log_level = debug/log_level = info/' "$T/migrated.conf"
	start_daemon
}

# rh_plan: the plan, as an operator would write it, with short clocks.
# min_requests is per bake: 1000 requests a minute bring about 3 to ECS
# in a 2 s bake at 10 %, and create refuses a plan whose steps cannot.
rh_plan() {
	aws_plan shop
	sed -i -e "s|^poll_interval = .*|poll_interval = 250ms\\
ecs_desired = 2\\
path_patterns = /api/*\\
steps = 10, 50\\
bake = 2s\\
soak = 3s|" "$T/plans/shop.ini"
	sed -i -e "s|^do_token_file = .*|do_token_file = $T/secrets/do\\
grace = 3s\\
shutdown_timeout = 5s|" "$T/plans/shop.ini"
	cat >> "$T/plans/shop.ini" <<PLAN

[gates]
min_healthy = 2
max_p99 = 500ms
min_requests = 3
alarms = shop-5xx
PLAN
}

# rh_drive DEADLINE_S [ON_TICK]: create and start the migration, approve
# decommission when it waits for it, until done (0) or the deadline or a
# stop that needs an operator (1). ON_TICK runs every half second.
rh_drive() {
	local deadline=$(( $(date +%s) + $1 )) ph
	ctl --json status shop >/dev/null 2>&1 ||
	    ctl create "$T/plans/shop.ini" >/dev/null
	[ "$(phase_of shop 2>/dev/null)" = planned ] && ctl start shop >/dev/null
	while [ "$(date +%s)" -lt "$deadline" ]; do
		[ -z "${2:-}" ] || "$2"
		ph=$(phase_of shop 2>/dev/null)
		case $ph in
		done) return 0 ;;
		failed|rolled_back|paused)
			# A chaos restart may leave a phase waiting a beat.
			[ -n "${RH_TOLERANT:-}" ] || return 1 ;;
		decommission)
			if [ "$(ctl --json status shop | jget migrations.0.approved)" = False ] &&
			    ctl approve shop >/dev/null 2>&1; then
				:
			fi ;;
		esac
		sleep "${RH_TICK:-0.5}"
	done
	return 1
}

# rh_summary: what happened, from the state file and the endpoints (after
# writer_stop: the writer's report is written when it stops).
rh_summary() {
	local mig
	mig=$(sqlite3 "$STATE" "SELECT id FROM migrations WHERE name = 'shop'")
	echo "phases:"
	sqlite3 -separator ' ' "$STATE" "SELECT j.to_phase, j.ts,
	    COALESCE((SELECT MIN(k.ts) FROM journal k WHERE k.mig = j.mig AND
	    k.kind = 'transition' AND k.id > j.id AND k.to_phase <> j.to_phase),
	    j.ts) FROM journal j WHERE j.mig = $mig AND j.kind = 'transition'
	    AND (j.from_phase IS NULL OR j.from_phase <> j.to_phase)
	    ORDER BY j.id" |
	    awk '{ printf "  %-14s %6.1f s\n", $1, ($3 - $2) / 1000 }'
	echo "steps:"
	sqlite3 "$STATE" "SELECT text FROM journal WHERE mig = $mig AND
	    text LIKE 'step % of %: traffic:%' ORDER BY id" | sed 's/^/  /'
	echo "cutover: source read-only $(fact cutover.freeze_ms) ms before" \
	    "the writer switched; write gap $(fact cutover.write_gap_ms) ms"
	echo "lost writes: $(writer_lost "$REPLICA_PORT") of" \
	    "$(jget acked < "$T/writer.json") acknowledged"
	echo "checksum proof: $(fact proof.verdict): $(fact proof.detail)"
	curl -sf "$FAKEDO_URL/_fake/state" | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)
left = [d["name"] for d in s["droplets"]]
n = s["delete_counts"]
print("droplets deleted: %d (%s); still there: %s" % (len(n),
    "each once" if all(v == 1 for v in n.values()) else "MORE THAN ONCE",
    ", ".join(left) or "none"))'
}
