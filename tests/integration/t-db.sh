# t-db: the database path on a real MariaDB pair, with the writer load
# committing 200 rows/s throughout: preflight's database checks, seeding
# by mariadb-dump, replication through the RDS procedures with heartbeat
# lag, the cutover (freeze, exact position, promote, reverse replication,
# writer switch, first write) with zero lost writes, the checksum proof,
# and the rollback after the cutover that brings the writes back to the
# source through reverse replication, again losing none.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start
db_items
db_plan shop "freeze_timeout = 3s"
writer_start 200

start_daemon
preflight shop 20
reason=$(reason_of)
# The database checks pass; AWS is a closed port here (t-aws-preflight
# has the real one), and so is DigitalOcean (t-decom has its test endpoint).
expect_match "preflight: DigitalOcean unreachable, named" \
    "DigitalOcean: ListDroplets: ConnectionError" "$reason"
expect_match "preflight: AWS unreachable, named" "cannot reach STS" "$reason"
if printf '%s' "$reason" | grep -Eq 'source:|target:'; then
	fail "preflight's database checks: $reason"
fi

# Seeding and replicating, for real.
inject seeding
start_daemon
ok "seeded and in sync" wait_for 90 history_has 'replicating -> shadow'
expect_match "coordinates recorded" '^mysql-bin\.[0-9]+$' "$(fact seed.file)"
expect_eq "the dump copied the rows" 5000 "$(tgt_sql 'SELECT COUNT(*) FROM shop.items')"
n_src=$(src_sql 'SELECT COUNT(*) FROM shop.writes')
ok "the writer's rows replicate" wait_for 10 \
    sql_ge replica 'SELECT COUNT(*) FROM shop.writes' "$n_src"
lag=$(ctl --json status shop | jget migrations.0.lag.heartbeat_ms)
expect_match "heartbeat lag reported" '^[0-9]+$' "$lag"

# The cutover.
inject cutover
start_daemon
ok "writer switched" wait_for 30 history_has 'cutover -> full_traffic'
expect_eq "the writer moved to the target" "127.0.0.1:$REPLICA_PORT" \
    "$(cat "$T/writer.host")"
expect_eq "source unfrozen? no: it stays read-only" 1 \
    "$(src_sql 'SELECT @@global.read_only')"
expect_match "freeze measured" '^[0-9]+$' "$(fact cutover.freeze_ms)"
expect_match "write gap measured" '^[0-9]+$' "$(fact cutover.write_gap_ms)"
expect_eq "status shows the freeze" "$(fact cutover.freeze_ms)" \
    "$(ctl --json status shop | jget migrations.0.cutover.freeze_ms)"
expect_eq "external replication reset on the target" "" \
    "$(mdb_as "$T/db" replica admin -N -e 'CALL mysql.rds_replica_status')"
reverse_runs() {
	mdb_root "$T/db" source -e 'SHOW SLAVE STATUS\G' |
	    grep -q 'Slave_SQL_Running: Yes'
}
ok "reverse replication runs on the source" wait_for 10 reverse_runs
sleep 1
writer_stop
lost=$(writer_lost "$REPLICA_PORT")
expect_eq "no acknowledged write lost at the cutover" 0 "$lost"
tmax=$(tgt_sql 'SELECT MAX(seq) FROM shop.writes')
ok "reverse replication brought the new writes back to the source" \
    wait_for 10 sql_is source 'SELECT MAX(seq) FROM shop.writes' "$tmax"
ok "the proof passed" wait_for 30 fact_is proof.verdict ok
expect_match "status shows the proof" "^proof: +ok: 3 tables" \
    "$(ctl status shop | grep '^proof:')"

# Rollback after the cutover: writes go back to the source.
writer_start 200 "$REPLICA_PORT"
sleep 1
ctl abort shop >/dev/null 2>&1; ok "abort accepted" test $? -eq 0
ok "rolled back" wait_for 60 phase_is shop rolled_back
expect_eq "the writer is on the source again" "127.0.0.1:$SOURCE_PORT" \
    "$(cat "$T/writer.host")"
expect_eq "the source is writable" 0 "$(src_sql 'SELECT @@global.read_only')"
expect_eq "reverse replication stopped" "" "$(src_sql 'SHOW SLAVE STATUS')"
sleep 1
writer_stop
expect_eq "no acknowledged write lost by the rollback" 0 \
    "$(writer_lost "$SOURCE_PORT")"
stop_daemon
finish
