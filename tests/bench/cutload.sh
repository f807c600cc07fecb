#!/usr/bin/env bash
# cutload.sh: the cutover under heavy writes. sysbench's oltp_write_only
# at LOAD_RATE (300) transactions a second on LOAD_THREADS (8) threads, as
# the app account (no SUPER, no READ ONLY ADMIN), against the source for
# the whole migration, on LOAD_TABLES (4) tables of LOAD_ROWS (100,000) rows;
# the writer load (tests/bench/writer.c, WRITER_RATE 100 commits/s) beside
# it counts the gap and the lost writes. The migration is seeded for real
# under the load, must catch up and settle, then is put into the cutover
# (the phases between need AWS, which this build's benchmarks do not
# start) with the plan's defaults (max_lag 200ms, max_postpone 10m).
#   cutover_gap_under_load_ms     the writer's longest gap between two
#                                 commits around the cutover (target 100)
#   cutover_lost_under_load       acknowledged writer rows missing on the
#                                 target, over the whole migration (0)
#   cutover_freeze_under_load_ms  source read-only -> writer switched
#   cutover_attempts_under_load   cutovers begun until one went through (an
#                                 attempt over its freeze budget is undone)
#   cutover_sb_tables_differ      sysbench tables whose CHECKSUM TABLE
#                                 differs between the frozen source and
#                                 the target after the cutover (0)
#   catchup_under_load_s          seeded -> in sync (replicating -> shadow)
#   sb_tps_under_load             what sysbench reached, the mean of its
#                                 10 s reports
#   pace_source_commits_s         what status' lag.catchup said the source
#                                 commits a second once in sync (sysbench,
#                                 the writer and the heartbeat together)
#   pace_apply_ratio              the target's applied binary log bytes a
#                                 second over the source's, then
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/db.sh"
. "$(dirname "$0")/sb.sh"

: "${LOAD_RATE:=300}" "${LOAD_THREADS:=8}" "${LOAD_TABLES:=4}"
: "${LOAD_ROWS:=100000}" "${WRITER_RATE:=100}"

cleanup_more_db() { :; }
eval "cleanup_more_db() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() { sb_stop; cleanup_more_db; }

db_start
sb_tables "$LOAD_TABLES" "$LOAD_ROWS" >/dev/null || finish
db_plan shop "freeze_timeout = 3s"
write_config
sed -i 's/^log_level = debug/log_level = info/' "$T/migrated.conf"
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null || fail "create"
sb_load "$LOAD_RATE" "$LOAD_THREADS" 3600
writer_start "$WRITER_RATE"
sleep 5
inject seeding
start_daemon
wait_for 600 history_has 'replicating -> shadow' ||
    { fail "not in sync under the load: $(ctl --json status shop |
	jget migrations.0.progress)"; finish; }
seeded=$(sqlite3 "$STATE" "SELECT MIN(ts) FROM journal WHERE to_phase =
    'replicating'" 2>/dev/null)
synced=$(sqlite3 "$STATE" "SELECT MAX(ts) FROM journal WHERE to_phase =
    'shadow'" 2>/dev/null)
if [ -n "$seeded" ] && [ -n "$synced" ]; then
	awk -v a="$seeded" -v b="$synced" \
	    'BEGIN { printf "BENCH catchup_under_load_s %.1f s\n", (b - a) / 1000 }'
fi

sleep 5
cu=$(ctl --json status shop | jget migrations.0.lag.catchup)
printf '%s' "$cu" | python3 -c '
import json, sys
c = json.load(sys.stdin)
if c.get("source_commits_s") is not None:
    print("BENCH pace_source_commits_s %.0f commits/s" % c["source_commits_s"])
if c.get("source_bytes_s") and c.get("target_bytes_s") is not None:
    print("BENCH pace_apply_ratio %.2f" % (c["target_bytes_s"] / c["source_bytes_s"]))
'

# An attempt whose freeze runs out of its budget is undone and goes back
# to shifting: tried again, as an operator would, up to 3 times.
attempts=0
while [ "$attempts" -lt 3 ]; do
	attempts=$((attempts + 1))
	# The writer's gap is the cutover's: it starts again just before.
	writer_stop
	mv "$T/writer.json" "$T/writer-before-$attempts.json"
	writer_start "$WRITER_RATE"
	sleep 2
	inject cutover
	start_daemon
	wait_for 700 history_has \
	    'cutover -> \(full_traffic\|paused\|shifting\)' "$attempts" ||
	    { fail "the cutover did not end: $(journal | tail -3)"; break; }
	history_has 'cutover -> shifting' "$attempts" || break
	echo "cutload: attempt $attempts undone: $(journal |
	    grep 'cutover -> shifting' | tail -1 | cut -c1-300)" >&2
	sleep 5
done
echo "BENCH cutover_attempts_under_load $attempts attempts"
sleep 1
writer_stop
sb_stop
# Where the freeze's time went: each server step of the cutover, on stderr.
sqlite3 "$STATE" "SELECT COALESCE(json_extract(args, '$.what'),
    json_extract(args, '$.hook'), kind), finished - started
    FROM effects WHERE id > (SELECT MAX(id) FROM effects WHERE
    json_extract(args, '$.what') = 'freeze source') - 1 ORDER BY id" |
    awk -F'|' '{ printf "cutload: %s %s ms\n", $1, $2 }' >&2
if history_has 'cutover -> paused'; then
	fail "the cutover paused: $(reason_of)"
	finish
fi
echo "BENCH cutover_gap_under_load_ms $(jget max_gap_ms < "$T/writer.json") ms"
# Every acknowledged write of the whole migration, the seed's and the
# catch-up's too, must be on the target.
lost=$(writer_lost "$REPLICA_PORT")
for f in "$T"/writer-before-*.json; do
	n=$("$BIN/bench/writer" verify --host 127.0.0.1 --port "$REPLICA_PORT" \
	    --user app --password-file "$APP_PASSWORD_FILE" --report "$f" \
	    2>>"$T/writer.log" | awk '/^lost/ { print $2 }')
	lost=$(( ${lost:-0} + ${n:-0} ))
done
echo "BENCH cutover_lost_under_load $lost writes"
echo "BENCH cutover_freeze_under_load_ms $(fact cutover.freeze_ms) ms"
differ=0
for i in $(seq 1 "$LOAD_TABLES"); do
	a=$(src_sql "CHECKSUM TABLE shop.sbtest$i" | awk '{ print $2 }')
	b=$(tgt_sql "CHECKSUM TABLE shop.sbtest$i" | awk '{ print $2 }')
	[ "$a" = "$b" ] || differ=$((differ + 1))
done
echo "BENCH cutover_sb_tables_differ $differ tables"
# sysbench may die of the SIGINT before its summary: its reports count.
awk '/\] thds: .* tps: / { for (i = 1; i < NF; i++) if ($i == "tps:")
    { s += $(i + 1); n++ } } END { if (n) printf "BENCH sb_tps_under_load %.1f tx/s\n", s / n }' \
    "$T/sysbench.log"
stop_daemon
finish
