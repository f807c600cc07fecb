#!/usr/bin/env bash
# run.sh: the benchmarks. Each prints "BENCH name value unit".
#   ctl_status_rtt_us       p50 of 10,000 status round trips, one connection
#   unix_echo_rtt_us        the same over a bare Unix-socket echo (target:
#                           status at most 3x this)
#   rss_kib_100_migrations  daemon RSS holding 100 migrations (<= 8 MiB)
#   rss_anon_kib_100_migrations  the same without shared-library pages
#   migratectl_status_ms    p50 of a whole `migratectl status` process (<= 3)
#   sigv4_sign_ns           median of one SigV4 signature (bench_sigv4.c)
# and the database's, in cutover.sh; and the gates', in traffic.sh (AWS
# through fakeaws):
#   rollback_reaction_ms, rollback_reaction_p50_ms  a breach -> the
#                           ModifyListener that puts the weights back
#                           (poll_interval 1s; worst of 10 <= 1100)
#   poll_lateness_p99_ms, poll_lateness_max_ms  200 migrations polling
#                           every second: how late the timers fired (<= 50)
# and the rehearsal's, in rehearsal.sh: demo_total_s, chaos_runs_done;
# and the seed's against mydumper/myloader on about 1 GB of sysbench
# tables, in seed.sh: seed_mb_s, seed_peer_mb_s, seed_resume_redo_pct
# (<= 10), seed_rate_mib_s (what `check` estimates the seed's duration
# with); the proof's against pt-table-checksum on
# about 1 GB of sysbench tables, in proof.sh: proof_mb_s, proof_peer_mb_s;
# and the cutover under sysbench's oltp_write_only at 300 tx/s on 8
# threads for the whole migration, in cutload.sh:
# cutover_gap_under_load_ms (<= 100), cutover_lost_under_load (0).
. "$(dirname "$0")/../integration/lib.sh"

write_config
sed -i 's/^log_level = debug/log_level = notice/' "$T/migrated.conf"
# The daemon, the echo server and the client share one CPU, so both round
# trips pay the same wake-ups and neither depends on where the scheduler
# happens to put a process.
if command -v taskset >/dev/null 2>&1; then
	DAEMON_WRAP="taskset -c 0"
fi
start_daemon
make_plan shop
ctl create "$T/plans/shop.ini" >/dev/null

${DAEMON_WRAP:-} "$BIN/bench/bench_ctl" rtt "$SOCK" 10000 shop ||
    fail "rtt bench"
"$BIN/bench/bench_ctl" spawn 300 "$BIN/migratectl" -s "$SOCK" status shop \
    || fail "spawn bench"

# 99 more, each its own plan (distinct name, listener and databases).
for i in $(seq 2 100); do
	sed -e "s/^host = 127.0.0.1/host = 10.1.$((i / 250)).$((i % 250))/" \
	    "$T/plans/shop.ini" > "$T/plans/m$i.ini"
	ctl create "$T/plans/m$i.ini" >/dev/null || fail "create m$i"
done
n=$(ctl --json list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["migrations"]))')
[ "$n" = 100 ] || fail "expected 100 migrations, have $n"
ctl status >/dev/null
echo "BENCH rss_kib_100_migrations $(awk '/^VmRSS:/ { print $2 }' /proc/$DPID/status) KiB"
# The part that is the daemon's own (heap, stacks), without the pages of
# shared libraries it maps: libcrypto alone is about 1.4 MiB of the above.
echo "BENCH rss_anon_kib_100_migrations $(awk '/^RssAnon:/ { print $2 }' /proc/$DPID/status) KiB"
stop_daemon
[ "$FAILS" -eq 0 ] || exit 1
bash "$(dirname "$0")/cutover.sh" || exit 1
bash "$(dirname "$0")/cutload.sh" || exit 1
bash "$(dirname "$0")/traffic.sh" || exit 1
bash "$(dirname "$0")/rehearsal.sh" || exit 1
bash "$(dirname "$0")/seed.sh" || exit 1
bash "$(dirname "$0")/proof.sh" || exit 1
"$BIN/bench/bench_sigv4" || exit 1
