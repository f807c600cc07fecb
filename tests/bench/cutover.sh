#!/usr/bin/env bash
# cutover.sh: the database benchmarks, on a local MariaDB pair with the
# writer load at 200 commits/s (tests/bench/writer.c). The migration is
# seeded and replicating, then put into the cutover (the phases between
# need AWS, which this build's benchmarks do not start).
#   heartbeat_lag_ms      p50 of the heartbeat lag over 5 s of steady load
#   cutover_freeze_ms     source read-only -> writer switched
#   cutover_write_gap_ms  the longest gap between two commits the writer saw
#   cutover_lost_writes   acknowledged rows missing on the target (must be 0)
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/db.sh"

db_start
db_plan shop "freeze_timeout = 3s"
writer_start 200
write_config
sed -i 's/^log_level = debug/log_level = notice/' "$T/migrated.conf"
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null || fail "create"
inject seeding
start_daemon
wait_for 90 history_has 'replicating -> shadow' ||
    fail "not in sync"

# Steady state: sample the status' heartbeat lag every 100 ms for 5 s.
for i in $(seq 50); do
	ctl --json status shop | jget migrations.0.lag.heartbeat_ms
	sleep 0.1
done | grep -E '^[0-9]+$' | sort -n > "$T/lag.txt"
n=$(wc -l < "$T/lag.txt")
[ "$n" -gt 10 ] || fail "too few lag readings ($n)"
echo "BENCH heartbeat_lag_ms $(sed -n "$(( (n + 1) / 2 ))p" "$T/lag.txt") ms"

# A clean slate for the gap: the writer's longest gap so far is not the
# cutover's, so it starts again just before.
writer_stop
mv "$T/writer.json" "$T/writer-before.json"
writer_start 200
sleep 2
inject cutover
start_daemon
wait_for 30 history_has 'cutover -> full_traffic' ||
    fail "the cutover did not complete: $(journal | tail -3)"
sleep 1
writer_stop
echo "BENCH cutover_freeze_ms $(fact cutover.freeze_ms) ms"
echo "BENCH cutover_write_gap_ms $(jget max_gap_ms < "$T/writer.json") ms"
echo "BENCH cutover_lost_writes $(writer_lost "$REPLICA_PORT") writes"
stop_daemon
[ "$FAILS" -eq 0 ]
