# t-postpone: a cutover that cannot freeze is not put off for ever. A
# write transaction held open on the source postpones the freeze (status
# says so and for how long); past cutover.max_postpone the migration
# pauses with the reason (journal alert, webhook), the source never
# frozen, and resume returns to ready.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start
webhook_receiver
db_plan shop "max_postpone = 3s" "[notify]
webhook_url = http://127.0.0.1:$(cat "$T/hook.port")/hooks/T000/B000/XXXX"
db_items
db_sync

# A transaction that changed a row and stays open (killed at the end).
mdb_as "$T/db" source app -e "BEGIN; UPDATE shop.items SET price = 1
    WHERE id = 1; SELECT SLEEP(60); COMMIT" >/dev/null 2>&1 &
trx=$!
# (Its UPDATE ran once the session sleeps; INNODB_TRX read as root over
# the socket was seen empty at times while the daemon's showed it.)
ok "the transaction is open" wait_for 10 sql_ge source "SELECT COUNT(*)
    FROM information_schema.PROCESSLIST WHERE USER = 'app' AND
    INFO LIKE 'SELECT SLEEP(60)%'" 1
sleep 1.2
inject cutover
start_daemon
postponed() {
	ctl --json status shop | jget migrations.0.progress |
	    grep -q 'cutover postponed for .*write transaction(s) open'
}
ok "postponed while the transaction is open" wait_for 5 postponed
ok "paused after max_postpone" wait_for 15 phase_is shop paused
reason=$(reason_of)
expect_match "the reason names max_postpone and the transaction" \
    "postponed for [0-9]+s, over cutover.max_postpone 3s: 1 write transaction\(s\) open on the source" \
    "$reason"
expect_eq "resume returns to ready" ready \
    "$(ctl --json status shop | jget migrations.0.resume_to)"
ok "the journal has the alert" history_has '^alert .*cutover.max_postpone'
ok "the journal has the pause" history_has 'cutover -> paused'
ok "the webhook said so" wait_for 10 grep -q 'cutover.max_postpone' \
    "$T/hook.out"
expect_eq "the source was never frozen" 0 \
    "$(src_sql 'SELECT @@global.read_only')"
expect_eq "replication from the source kept" Yes \
    "$(mdb_root "$T/db" replica -e 'SHOW SLAVE STATUS\G' |
    awk '/Slave_SQL_Running:/ { print $2 }')"
mdb_root "$T/db" source -N -e "SELECT CONCAT('KILL ', ID, ';') FROM
    information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(%'" |
    mdb_root "$T/db" source 2>/dev/null
wait "$trx"
stop_daemon
finish
