# sb.sh: sysbench's tables and load for the benchmarks of the data path,
# sourced after db.sh (tests/integration). The servers want room for a
# gigabyte: source this before db_start, it sets the InnoDB sizes.
#
#   sb_tables N ROWS    sbtest1..N in shop on the source, sysbench's shape
#                       (id, k, c CHAR(120), pad CHAR(60), KEY k), ROWS
#                       each, filled by SQL outside the binary log (the
#                       seed copies them) and with the digits sysbench's
#                       prepare writes; prints the tables' bytes
#   sb_load RATE THREADS SECONDS [LOG]
#                       oltp_write_only against the source at RATE
#                       transactions a second on THREADS threads, as the
#                       app account (no SUPER, no READ ONLY ADMIN), in the
#                       background; its pid in SB_PID, its output in LOG
#   sb_stop             stops it; prints sysbench's last report
: "${MDB_BUFFER_POOL:=1G}" "${MDB_LOG_FILE:=256M}"
export MDB_BUFFER_POOL MDB_LOG_FILE
SB_PID=
SB_TABLES=0 SB_ROWS=0

sb_tables() {
	local n=$1 rows=$2 i
	SB_TABLES=$n SB_ROWS=$rows
	for i in $(seq 1 "$n"); do
		src_sql "SET sql_log_bin = 0;
		    CREATE TABLE shop.sbtest$i (id INT NOT NULL AUTO_INCREMENT,
		        k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '',
		        pad CHAR(60) NOT NULL DEFAULT '', PRIMARY KEY (id),
		        KEY k_$i (k)) ENGINE=InnoDB;
		    INSERT INTO shop.sbtest$i (id, k, c, pad)
		    SELECT seq, FLOOR(1 + RAND($i * 7 + seq) * $rows),
		        CONCAT_WS('-', LPAD(seq * 7919 % 10000000000, 10, '0'),
		            LPAD(seq * 104729 % 10000000000, 10, '0'),
		            LPAD(seq * 1299709 % 10000000000, 10, '0'),
		            LPAD(seq * 15485863 % 10000000000, 10, '0'),
		            LPAD(seq * 179424673 % 10000000000, 10, '0'),
		            LPAD(seq * 2038074743 % 10000000000, 10, '0'),
		            LPAD(seq * 7919 % 9999999967, 10, '0'),
		            LPAD(seq * 104729 % 9999999943, 10, '0'),
		            LPAD(seq * 1299709 % 9999999929, 10, '0'),
		            LPAD(seq * 15485863 % 9999999881, 10, '0'),
		            LPAD(seq * 179424673 % 9999999851, 10, '0')),
		        CONCAT_WS('-', LPAD(seq * 31 % 10000000000, 10, '0'),
		            LPAD(seq * 37 % 10000000000, 10, '0'),
		            LPAD(seq * 41 % 10000000000, 10, '0'),
		            LPAD(seq * 43 % 10000000000, 10, '0'),
		            LPAD(seq * 47 % 10000000000, 10, '0'))
		    FROM shop.seq_1_to_$rows;
		    ANALYZE TABLE shop.sbtest$i" >/dev/null ||
		    { fail "sbtest$i could not be made"; return 1; }
	done
	src_sql "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM
	    information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'
	    AND TABLE_NAME LIKE 'sbtest%'"
}

sb_load() {
	local rate=$1 threads=$2 secs=$3 log=${4:-$T/sysbench.log}
	sysbench oltp_write_only --db-driver=mysql --mysql-host=127.0.0.1 \
	    --mysql-port="$SOURCE_PORT" --mysql-user=app \
	    --mysql-password="$(mdb_pw app)" --mysql-db=shop \
	    --tables="$SB_TABLES" --table-size="$SB_ROWS" \
	    --threads="$threads" --rate="$rate" --time="$secs" \
	    --report-interval=10 --mysql-ignore-errors=all run \
	    >"$log" 2>&1 &
	SB_PID=$!
}

sb_stop() {
	[ -n "$SB_PID" ] || return 0
	kill -INT "$SB_PID" 2>/dev/null
	wait "$SB_PID" 2>/dev/null
	SB_PID=
}
