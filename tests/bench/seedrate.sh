#!/usr/bin/env bash
# seedrate.sh: the seed's throughput that `migratectl check` divides the
# data's size by (daemon/pfdba.c, PFDBA_SEED_BPS). On a local MariaDB pair:
# SEED_MIB (default 200) MiB of InnoDB rows in shop, then the seed's own
# pipe, mariadb-dump --single-transaction into mariadb on the replica, timed.
#   seed_bytes            information_schema data_length + index_length
#   seed_rate_mib_s       those bytes / the pipe's wall time
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/db.sh"

db_start
mib=${SEED_MIB:-200}
# Rows of about 1 KiB: a secondary index and some text, as an app's.
src_sql "SET sql_log_bin = 0;
    CREATE TABLE shop.orders (id INT PRIMARY KEY, customer INT NOT NULL,
        total DECIMAL(10,2), note VARCHAR(1000), KEY (customer)) ENGINE=InnoDB;
    INSERT INTO shop.orders SELECT seq, seq % 9973, seq / 100,
        REPEAT(SHA2(seq, 256), 14) FROM shop.seq_1_to_$((mib * 1024 * 1024 / 1100));
    ANALYZE TABLE shop.orders" >/dev/null
bytes=$(src_sql "SELECT SUM(DATA_LENGTH + INDEX_LENGTH) FROM
    information_schema.TABLES WHERE TABLE_SCHEMA = 'shop'")
tgt_sql "SET sql_log_bin = 0; DROP DATABASE shop"
t0=$(date +%s%N)
mariadb-dump --no-defaults -uroot -S "$SOURCE_SOCK" \
    --single-transaction --databases shop |
    mariadb --no-defaults -uroot -S "$REPLICA_SOCK" ||
    fail "the dump or the import failed"
t1=$(date +%s%N)
rows=$(tgt_sql "SELECT COUNT(*) FROM shop.orders")
[ "$rows" -gt 0 ] || fail "nothing imported"
echo "BENCH seed_bytes $bytes bytes"
awk -v b="$bytes" -v ns=$((t1 - t0)) \
    'BEGIN { printf "BENCH seed_rate_mib_s %.1f MiB/s\n", b / 1048576 / (ns / 1e9) }'
finish
