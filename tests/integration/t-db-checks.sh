# t-db-checks: preflight's database checks name what to fix; seed =
# external takes the operator's coordinates after an import done by hand;
# a long write transaction on the source postpones the freeze instead of
# stretching it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start

# --- preflight refuses what would lose writes or break replication ---
src_sql "SET GLOBAL binlog_format = 'STATEMENT';
    SET sql_log_bin = 0; GRANT READ_ONLY ADMIN ON *.* TO 'app'@'%';
    REVOKE REPLICATION SLAVE ON *.* FROM 'repl'@'%';
    GRANT REPLICATION SLAVE ADMIN ON *.* TO 'repl'@'%';
    REVOKE BINLOG ADMIN ON *.* FROM 'migrate'@'%'"
db_plan shop
start_daemon
preflight shop 20
reason=$(reason_of)
expect_match "binlog_format named with its fix" \
    "binlog_format is STATEMENT; set" "$reason"
expect_match "an application account that writes through read_only" \
    "account 'app'@'%' has READ_ONLY ADMIN.*REVOKE" "$reason"
expect_match "a look-alike privilege is not the one needed" \
    "repl lacks REPLICATION SLAVE ON" "$reason"
expect_match "verify_before on an RDS target needs SET SESSION binlog_format" \
    "migrate cannot SET SESSION binlog_format, which the data comparison before the cutover .*GRANT BINLOG ADMIN" \
    "$reason"
src_sql "SET GLOBAL binlog_format = 'ROW';
    SET sql_log_bin = 0; REVOKE READ_ONLY ADMIN ON *.* FROM 'app'@'%';
    REVOKE REPLICATION SLAVE ADMIN ON *.* FROM 'repl'@'%';
    GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
    GRANT BINLOG ADMIN ON *.* TO 'migrate'@'%'"
ctl retry shop >/dev/null
ok "preflight again" wait_for 20 phase_is shop failed
reason=$(reason_of)
if printf '%s' "$reason" | grep -Eq 'source:|target:'; then
	fail "database checks after the fix: $reason"
else
	pass
fi
ctl delete shop >/dev/null 2>&1 || { ctl abort shop >/dev/null; wait_for 20 phase_is shop rolled_back; ctl delete shop >/dev/null; }

# --- seed = external: an import done by hand, coordinates given ---
src_sql "SET sql_log_bin = 0; CREATE TABLE shop.notes (id INT PRIMARY KEY,
    body TEXT); INSERT INTO shop.notes VALUES (1, 'one'), (2, 'two')"
mariadb-dump --no-defaults -uroot -S "$SOURCE_SOCK" --single-transaction \
    --master-data=2 --databases shop > "$T/import.sql"
coord=$(sed -n 's/^-- CHANGE MASTER TO MASTER_LOG_FILE=.\([^'"'"']*\).,\s*MASTER_LOG_POS=\([0-9]*\);.*/\1 \2/p' "$T/import.sql" | head -1)
file=${coord% *}; pos=${coord#* }
expect_match "coordinates in the hand-made dump" '^mysql-bin\.[0-9]+$' "$file"
tgt_sql "SET sql_log_bin = 0; SOURCE $T/import.sql; CREATE DATABASE migrated;
    CREATE TABLE migrated.heartbeat (id TINYINT PRIMARY KEY, ts_us BIGINT NOT NULL);
    INSERT INTO migrated.heartbeat VALUES (1, 0);
    CREATE TABLE migrated.marker (id INT PRIMARY KEY AUTO_INCREMENT,
        note VARCHAR(128) NOT NULL, at_us BIGINT NOT NULL)"
src_sql "SET sql_log_bin = 0; CREATE DATABASE migrated;
    CREATE TABLE migrated.heartbeat (id TINYINT PRIMARY KEY, ts_us BIGINT NOT NULL);
    INSERT INTO migrated.heartbeat VALUES (1, 0);
    CREATE TABLE migrated.marker (id INT PRIMARY KEY AUTO_INCREMENT,
        note VARCHAR(128) NOT NULL, at_us BIGINT NOT NULL)"
src_sql "INSERT INTO shop.notes VALUES (3, 'after the import')"
db_plan ext "" ""
sed -i "s/^\[target\]$/[target]\nseed = external\nseed_file = $file\nseed_pos = $pos/" \
    "$T/plans/ext.ini"
sed -i 's/^\[source\]$/name = ext\n[source]/' "$T/plans/ext.ini"
ctl create "$T/plans/ext.ini" >/dev/null; ok "create the external plan" test $? -eq 0
inject seeding ext
start_daemon
ok "in sync from the given coordinates" wait_for 30 history_has \
    'replicating -> shadow' "" ext
expect_eq "the coordinates recorded are the operator's" "$file" \
    "$(sqlite3 "$STATE" "SELECT value FROM facts WHERE key = 'seed.file'")"
expect_eq "no dump ran" "" "$(journal ext | grep seed_import)"
ok "the write after the import replicated" wait_for 10 sql_is replica \
    "SELECT body FROM shop.notes WHERE id = 3" "after the import"

# --- a long write transaction postpones the freeze ---
writer_start 100
mdb_as "$T/db" source app -e "BEGIN; UPDATE shop.notes SET body = 'held'
    WHERE id = 1; SELECT SLEEP(4); COMMIT" >/dev/null 2>&1 &
trx=$!
sleep 1.5
inject cutover ext
start_daemon
postponed() {
	ctl --json status ext | jget migrations.0.progress |
	    grep -q 'write transaction(s) open on the source'
}
ok "postponed while the transaction is open" wait_for 5 postponed
expect_eq "not frozen meanwhile" 0 "$(src_sql 'SELECT @@global.read_only')"
wait "$trx"
ok "then the cutover runs" wait_for 30 history_has 'cutover -> full_traffic' "" ext
expect_eq "the held transaction committed on the source and moved" held \
    "$(tgt_sql "SELECT body FROM shop.notes WHERE id = 1")"
sleep 0.5
writer_stop
expect_eq "no acknowledged write lost" 0 "$(writer_lost "$REPLICA_PORT")"
stop_daemon
finish
