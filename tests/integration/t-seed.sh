# t-seed: the parallel, resumable, throttled seed on a real MariaDB pair,
# with the writer committing 200 rows/s throughout. Small data cut into
# many chunks (seed_chunk_rows = 400, three streams) so that every instant
# of the copy is somewhere in the middle of one:
#  - ten runs, each SIGKILLing the daemon (and with it the copy worker) at
#    a random instant of the seed and starting it again: each ends with
#    replication running and every table identical on both sides (CHECKSUM
#    TABLE, the writer paused); in one, a table is dropped on the target
#    while the daemon is down; after the last, the cutover's checksum
#    proof passes;
#  - a busy source (sessions running over seed_max_load) pauses the copy,
#    status and /metrics say why, and `set target.seed_max_load` lets it
#    go on; paused again, it goes on when the sessions end;
#  - a worker stopped with SIGSTOP is stopped after seed_stall_timeout
#    and the seed is started again, keeping what it finished.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_config
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$port" >> "$T/migrated.conf"
scrape() { curl -sf "http://127.0.0.1:$port/metrics"; }
db_start
db_items
src_sql "SET sql_log_bin = 0;
    CREATE TABLE shop.orders (id INT PRIMARY KEY, customer INT NOT NULL,
        note VARCHAR(200), placed DATETIME(3) NULL, KEY (customer));
    INSERT INTO shop.orders SELECT seq, seq % 97, REPEAT('x', seq % 200),
        IF(seq % 3, NULL, '2026-01-02 03:04:05.678') FROM shop.seq_1_to_40000"
db_plan shop "freeze_timeout = 3s"
sed -i '/^settle = 2s/a seed_threads = 3\nseed_chunk_rows = 400\nseed_stall_timeout = 3s' \
    "$T/plans/shop.ini"
writer_start 200
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null || fail "create"

TABLES="items tags orders writes"
# A new seed from nothing: the target's copy and replication gone, the
# migration back at seeding with no coordinates.
reseed() {
	stop_daemon
	# After a cutover the source replicates from the target: not now.
	src_sql "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0"
	tgt_sql "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only = 0;
	    DROP DATABASE IF EXISTS shop; DROP DATABASE IF EXISTS migrated"
	sqlite3 "$STATE" "DELETE FROM facts"
	inject seeding
}
same_data() {
	local t a b
	for t in $TABLES; do
		a=$(src_sql "CHECKSUM TABLE shop.$t" | cut -f2)
		b=$(tgt_sql "CHECKSUM TABLE shop.$t" | cut -f2)
		[ -n "$a" ] && [ "$a" = "$b" ] || return 1
	done
}
repl_runs() {
	mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Slave_SQL_Running: Yes'
}
caught_up() {
	sql_ge replica 'SELECT COUNT(*) FROM shop.writes' \
	    "$(src_sql 'SELECT COUNT(*) FROM shop.writes')"
}

mid=0
for run in 1 2 3 4 5 6 7 8 9 10; do
	reseed
	start_daemon
	sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
	[ "$(phase_of shop)" = seeding ] && mid=$((mid + 1))
	kill9_daemon
	# Once, a table is dropped on the target meanwhile: the kept plan
	# no longer holds and the seed starts afresh.
	[ "$run" = 5 ] && tgt_sql "DROP TABLE IF EXISTS shop.orders"
	start_daemon
	if ! wait_for 60 history_has 'seeding -> replicating' "$run"; then
		fail "run $run: not seeded"
		break
	fi
	writer_stop
	ok "run $run: replication runs" wait_for 20 repl_runs
	ok "run $run: caught up" wait_for 20 caught_up
	ok "run $run: every table identical" wait_for 5 same_data
	writer_start 200
done
ok "most kills were in the middle of the seed ($mid of 10)" test "$mid" -ge 6
ok "a resumed seed compared what it kept" \
    history_has "compared and kept"

# The cutover's proof on the last run's copy.
inject cutover
start_daemon
ok "cutover done" wait_for 40 history_has 'cutover -> full_traffic'
ok "the checksum proof passed" wait_for 30 fact_is proof.verdict ok
writer_stop
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"

# Throttle: six sessions running on the source, seed_max_load 3.
ctl set shop target.seed_max_load=3 >/dev/null || fail "set seed_max_load"
reseed
writer_start 200
for i in 1 2 3 4 5 6; do
	src_sql "SELECT SLEEP(30)" >/dev/null 2>&1 &
done
start_daemon
progress() { ctl --json status shop | jget migrations.0.progress; }
paused() { progress | grep -q "paused: source Threads_running"; }
ok "a busy source pauses the copy" wait_for 15 paused
expect_match "status names the throttle" "over seed_max_load 3" \
    "$(ctl --json status shop | jget migrations.0.stats.throttle)"
scrape > "$T/metrics.txt"
ok "/metrics: throttled" grep -q '^migrated_seed_throttled{migration="shop"} 1$' \
    "$T/metrics.txt"
ok "/metrics: the seed's bytes" grep -Eq \
    '^migrated_seed_bytes\{migration="shop",kind="total"\} [1-9][0-9]+$' \
    "$T/metrics.txt"
if command -v promtool >/dev/null 2>&1; then
	ok "promtool accepts the seed's families" \
	    sh -c "promtool check metrics < '$T/metrics.txt' >/dev/null 2>&1"
fi
ctl set shop target.seed_max_load=50 >/dev/null
ok "set lets it go on" wait_for 60 history_has 'seeding -> replicating' 11
src_sql "SELECT CONCAT('KILL ', ID, ';') FROM information_schema.PROCESSLIST
    WHERE INFO LIKE 'SELECT SLEEP(%'" | mdb_root "$T/db" source 2>/dev/null

# The load falls under the limit by itself: the copy goes on.
ctl set shop target.seed_max_load=3 >/dev/null
reseed
for i in 1 2 3 4 5 6; do
	src_sql "SELECT SLEEP(6)" >/dev/null 2>&1 &
done
start_daemon
ok "paused again" wait_for 5 paused
ok "the sessions end, the copy goes on to the end" \
    wait_for 60 history_has 'seeding -> replicating' 12
ctl set shop target.seed_max_load=50 >/dev/null

# Stall: the worker stopped; seed_stall_timeout is 3 s.
reseed
start_daemon
worker() { pgrep -f -- 'migrated --seed-copy' | head -1; }
ok "the copy worker runs" wait_for 10 test -n "$(worker)"
pid=$(worker)
kill -STOP "$pid"
ok "a stalled copy is stopped" wait_for 15 history_has "no progress for 3 s"
ok "and started again to the end" \
    wait_for 60 history_has 'seeding -> replicating' 13
writer_stop
ok "stalled run: caught up" wait_for 20 caught_up
ok "stalled run: every table identical" wait_for 5 same_data
finish
