#!/usr/bin/env bash
# seed.sh: the seed at size against its peer, on the same data in the same
# run. SEED_ROWS (1,000,000) rows in each of 4 sysbench tables (about
# 930 MB of InnoDB data and indexes) on a local MariaDB pair:
#   seed_bytes            information_schema data_length + index_length
#   seed_peer_mb_s        mydumper -t N then myloader -t N (N =
#                         seed_threads, 4), dump and load timed together,
#                         over TCP with the daemon's own accounts (the
#                         target's has RDS's master user's privileges: no
#                         SUPER, so myloader cannot turn the target's
#                         binary log off either)
#   seed_mb_s             the daemon's seeding phase (its seed_import
#                         effect, intent to result) with seed_threads 4
#   seed_resume_redo_pct  the daemon SIGKILLed (its copy worker with it)
#                         when status says half is copied, then started
#                         again: the bytes the target received over both
#                         runs (Bytes_received: rows rolled back count,
#                         the chunks compared too) past what it received
#                         for the uninterrupted seed, as a share of that
#   seed_resume_mb_s      that seed's rate, both runs and the restart
#   seed_rate_mib_s       seed_mb_s in MiB/s: what `migratectl check`
#                         estimates the seed's duration with (pfdba.c)
# Target: seed_mb_s >= seed_peer_mb_s; seed_resume_redo_pct <= 10.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/db.sh"
. "$(dirname "$0")/sb.sh"

N=4
db_start
bytes=$(sb_tables 4 "${SEED_ROWS:-1000000}") || finish
mb() { awk -v b="$bytes" -v ms="$1" 'BEGIN { printf "%.1f", b / 1e6 / (ms / 1000) }'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
echo "BENCH seed_bytes $bytes bytes"

# The peer: the dump to disk, then the load.
tgt_sql "SET sql_log_bin = 0; DROP DATABASE shop"
t0=$(now_ms)
mydumper -h 127.0.0.1 -P "$SOURCE_PORT" -u migrate -p "$(mdb_pw migrate)" \
    -B shop -t "$N" -o "$T/dump" >"$T/mydumper.log" 2>&1 ||
    fail "mydumper: $(tail -3 "$T/mydumper.log")"
myloader -h 127.0.0.1 -P "$REPLICA_PORT" -u admin -p "$(mdb_pw admin)" \
    -d "$T/dump" -t "$N" -o >"$T/myloader.log" 2>&1 ||
    fail "myloader: $(tail -3 "$T/myloader.log")"
t1=$(now_ms)
expect_eq "the peer loaded every row" "$(src_sql 'SELECT COUNT(*) FROM shop.sbtest4')" \
    "$(tgt_sql 'SELECT COUNT(*) FROM shop.sbtest4')"
echo "BENCH seed_peer_mb_s $(mb $((t1 - t0))) MB/s"
rm -rf "$T/dump"

# The daemon: a migration injected into seeding.
db_plan shop
sed -i "/^settle = 2s/a seed_threads = $N" "$T/plans/shop.ini"
reseed() {
	stop_daemon
	tgt_sql "STOP SLAVE; RESET SLAVE ALL; SET sql_log_bin = 0;
	    DROP DATABASE IF EXISTS shop; DROP DATABASE IF EXISTS migrated"
	sqlite3 "$STATE" "DELETE FROM facts"
	inject seeding
}
seed_ms() {
	sqlite3 "$STATE" "SELECT finished - started FROM effects WHERE kind =
	    'seed_import' AND state = 'done' ORDER BY id DESC LIMIT 1"
}
received() {
	tgt_sql "SHOW GLOBAL STATUS LIKE 'Bytes_received'" | cut -f2
}
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null || fail "create"
reseed
b0=$(received)
start_daemon
ok "the daemon seeded" wait_for 900 history_has 'seeding -> replicating' 1
clean=$(( $(received) - b0 ))
expect_eq "the daemon copied every row" "$(src_sql 'SELECT COUNT(*) FROM shop.sbtest4')" \
    "$(tgt_sql 'SELECT COUNT(*) FROM shop.sbtest4')"
ms=$(seed_ms)
echo "BENCH seed_mb_s $(mb "$ms") MB/s"
awk -v b="$bytes" -v ms="$ms" \
    'BEGIN { printf "BENCH seed_rate_mib_s %.1f MiB/s\n", b / 1048576 / (ms / 1000) }'

# Killed at half.
reseed
b0=$(received)
t0=$(now_ms)
start_daemon
half() {
	ctl --json status shop | /usr/bin/python3 -c '
import json, sys
s = json.load(sys.stdin)["migrations"][0].get("stats") or {}
sys.exit(0 if s.get("bytes_total") and
    s.get("bytes_done", 0) * 2 >= s["bytes_total"] else 1)'
}
ok "half copied" wait_for 600 half
kill9_daemon
start_daemon
ok "the resumed seed ends" wait_for 900 history_has 'seeding -> replicating' 2
t1=$(now_ms)
b1=$(received)
expect_eq "resumed: every row" "$(src_sql 'SELECT COUNT(*) FROM shop.sbtest4')" \
    "$(tgt_sql 'SELECT COUNT(*) FROM shop.sbtest4')"
echo "the target received $clean bytes for the seed, $((b1 - b0)) for the one killed at half" >&2
awk -v a="$((b1 - b0))" -v n="$clean" 'BEGIN { p = (a - n) * 100 / n;
    if (p < 0) p = 0; printf "BENCH seed_resume_redo_pct %.1f %%\n", p }'
echo "BENCH seed_resume_mb_s $(mb $((t1 - t0))) MB/s"
journal | grep -a "seed_import done" | tail -1 | cut -c1-200 >&2
finish
