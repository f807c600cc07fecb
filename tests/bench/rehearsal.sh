#!/usr/bin/env bash
# rehearsal.sh: the rehearsal's benchmarks.
#   demo_total_s      the whole of `make demo`'s rehearsal, create to done,
#                     with its setup and teardown
#   chaos_runs_done   of CHAOS_RUNS (10) rehearsals, each with the daemon
#                     SIGKILLed at 10 random instants, how many reached
#                     done with 0 lost writes and each droplet deleted once
#                     (target: all)
cd "$(dirname "$0")/../integration" || exit 1
out=$(bash demo.sh 2>&1)
rc=$?
printf '%s\n' "$out" | grep '^BENCH demo_total_s'
[ "$rc" -eq 0 ] || { printf '%s\n' "$out" | tail -20 >&2; exit 1; }

runs=${CHAOS_RUNS:-10} done=0
for i in $(seq "$runs"); do
	if bash t-chaos.sh >"/tmp/chaos-run-$$.log" 2>&1; then
		done=$((done + 1))
	else
		echo "chaos run $i failed: $(grep -E '^t-chaos: seed|^FAIL' \
		    "/tmp/chaos-run-$$.log" | tr '\n' ' ')" >&2
	fi
done
rm -f "/tmp/chaos-run-$$.log"
echo "BENCH chaos_runs_done $done of $runs"
