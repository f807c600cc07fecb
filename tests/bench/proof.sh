#!/usr/bin/env bash
# proof.sh: the checksum proof against its peer, pt-table-checksum (Debian's
# percona-toolkit), on the same tables of the same source/replica pair, in
# one run. sysbench's tables (sb.sh: PROOF_TABLES x PROOF_ROWS, default
# 4 x 1,000,000, about 930 MB) are made on both servers by the same SQL,
# outside their binary logs; the daemon's migration is put into the
# replicating phase at the source's binlog position, so the daemon itself
# makes the replica replicate from the source (as pt-table-checksum needs).
#   proof_bytes        the tables' bytes (DATA_LENGTH + INDEX_LENGTH)
#   proof_s            `migratectl verify`: the command to its verdict, the
#                      consistent point included (target.seed_threads
#                      streams, default 4), by the daemon's clock
#                      (status' verify.elapsed_ms)
#   proof_mb_s         proof_bytes / 2^20 / proof_s
#   proof_peer_s       pt-table-checksum over the same tables, to its exit
#                      (it waits for the replica and checks its checksums)
#   proof_peer_mb_s    proof_bytes / 2^20 / proof_peer_s (target: proof_mb_s
#                      at least this)
# MB are 2^20 bytes, as in the issue's table.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/db.sh"
. "$(dirname "$0")/sb.sh"

tables=${PROOF_TABLES:-4}
rows=${PROOF_ROWS:-1000000}
db_start
bytes=$(sb_tables "$tables" "$rows") || fail "the source's tables"
# The replica: the same rows by the same SQL (sb.sh's are deterministic).
src_sql() { mdb_root "$T/db" replica -N -B -e "$1"; }
sb_tables "$tables" "$rows" >/dev/null || fail "the replica's tables"
src_sql() { mdb_root "$T/db" source -N -B -e "$1"; }
# The writer's table is on the source only (mariadb.sh): not compared.
src_sql "SET sql_log_bin = 0; DROP TABLE shop.writes"

# A self-managed target with an administrator that may STOP SLAVE (verify
# stops the replica at the source's snapshot position), as t-verify.
echo dba-test-pw > "$T/dba.pw"
chmod 600 "$T/dba.pw"
tgt_sql "SET sql_log_bin = 0; CREATE USER 'dba'@'%' IDENTIFIED BY 'dba-test-pw';
    GRANT ALL PRIVILEGES ON *.* TO 'dba'@'%' WITH GRANT OPTION" ||
    fail "cannot make the target's dba account"
db_plan shop
sed -i -e "s|^kind = rds\$|kind = mysql|" -e "s|^user = admin\$|user = dba|" \
    -e "s|^password_file = $ADMIN_PASSWORD_FILE\$|password_file = $T/dba.pw|" \
    "$T/plans/shop.ini"
write_config
sed -i 's/^log_level = debug/log_level = notice/' "$T/migrated.conf"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$port" >> "$T/migrated.conf"
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null || fail "create"
# Seeded by hand: replication starts at the source's position now.
read -r file pos _ <<<"$(src_sql 'SHOW MASTER STATUS')"
inject replicating
sqlite3 "$STATE" "INSERT OR REPLACE INTO facts (mig, key, value, updated)
    SELECT id, 'seed.file', '$file', 0 FROM migrations WHERE name = 'shop';
    INSERT OR REPLACE INTO facts (mig, key, value, updated)
    SELECT id, 'seed.pos', '$pos', 0 FROM migrations WHERE name = 'shop'" ||
    fail "cannot record the seed's position"
start_daemon
replicates() {
	mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Slave_SQL_Running: Yes'
}
wait_for 60 replicates || fail "the replica does not replicate"

vjson() { ctl --json status shop | jget "migrations.0.verify.$1"; }
verdict_is() { [ "$(vjson state)" = "$1" ]; }
ctl verify shop >/dev/null || fail "verify refused"
# Once under way: its pace in status and in /metrics (a few reads).
going() {
	verdict_is ok || [ "$(vjson pace.eta_s 2>/dev/null)" -ge 0 ] 2>/dev/null
}
if wait_for 60 going && ! verdict_is ok; then
	progress=$(vjson progress)
	curl -sf "http://127.0.0.1:$port/metrics" > "$T/metrics.txt"
	echo "proof: status: $progress" >&2
	grep '^migrated_proof_' "$T/metrics.txt" >&2
	expect_match "status: bytes, rate and time left" \
	    ' of ~[0-9]+ MB \([0-9]+%\), [0-9.]+ MB/s, [0-9hms]+ left, 4 streams' \
	    "$progress"
	ok "metrics: the proof's time left" grep -q \
	    '^migrated_proof_eta_seconds{migration="shop",proof="verify"} [0-9]' \
	    "$T/metrics.txt"
	if command -v promtool >/dev/null 2>&1; then
		out=$(promtool check metrics < "$T/metrics.txt" 2>&1)
		expect_eq "metrics: promtool: no problems" "0 " "$? $out"
	fi
fi
wait_for 900 verdict_is ok || fail "verify: $(vjson state): $(vjson detail)"
# The daemon's own clock: the command's arrival to the verdict.
ms=$(vjson elapsed_ms)
echo "proof: $(vjson detail)" >&2
echo "proof: streams $(vjson report.streams) (at once: $(vjson report.streams_busy_max)), proof alone" \
    "$(vjson report.elapsed_ms) ms" >&2

# The peer, on the same pair: its replica found through a DSN table.
src_sql "SET sql_log_bin = 0; CREATE DATABASE IF NOT EXISTS percona;
    CREATE TABLE percona.dsns (id INT AUTO_INCREMENT PRIMARY KEY,
        parent_id INT, dsn VARCHAR(255));
    INSERT INTO percona.dsns (dsn) VALUES
        ('h=localhost,S=$REPLICA_SOCK,u=root')"
list=$(seq -s, -f 'sbtest%g' 1 "$tables")
t2=$(date +%s%N)
pt-table-checksum "h=localhost,S=$SOURCE_SOCK,u=root" --databases=shop \
    --tables="$list" --replicate=percona.checksums --no-check-binlog-format \
    --recursion-method="dsn=h=localhost,S=$SOURCE_SOCK,u=root,D=percona,t=dsns" \
    >"$T/ptc.out" 2>&1
rc=$?
t3=$(date +%s%N)
cat "$T/ptc.out" >&2
# Its exit status is a bit mask; 0 is no error and no difference.
[ "$rc" -eq 0 ] || fail "pt-table-checksum exited $rc"

echo "BENCH proof_bytes $bytes bytes"
awk -v b="$bytes" -v ms="$ms" -v pa="$t2" -v pz="$t3" 'BEGIN {
	s = ms / 1e3; ps = (pz - pa) / 1e9
	printf "BENCH proof_s %.2f s\n", s
	printf "BENCH proof_mb_s %.1f MB/s\n", b / 1048576 / s
	printf "BENCH proof_peer_s %.2f s\n", ps
	printf "BENCH proof_peer_mb_s %.1f MB/s\n", b / 1048576 / ps
}'
stop_daemon
finish
