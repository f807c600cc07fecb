# db.sh: for the integration tests of the database path, sourced after
# lib.sh. A private MariaDB pair (tests/mariadb/mariadb.sh: a source and a
# replica with the RDS procedure fixture), the writer load
# (tests/bench/writer.c) pointed at the host in $T/writer.host, plans that
# name them, and the phase injection that puts a stopped daemon's
# migration into the phase under test.
. "$TOP/tests/mariadb/mariadb.sh"

WPID=

cleanup_more() {
	if [ -n "$WPID" ] && kill -0 "$WPID" 2>/dev/null; then
		kill -TERM "$WPID" 2>/dev/null
		wait "$WPID" 2>/dev/null
	fi
	# A background session holding a lock (see hold_lock).
	if [ -n "${HOLD_PID:-}" ]; then release_lock "$HOLD_NODE"; fi
	if [ -n "${KEEP_DB:-}" ]; then
		echo "servers left running: mariadb.sh stop $T/db" >&2
	elif [ -d "$T/db" ]; then
		mdb_stop "$T/db"
	fi
}

# db_start: the pair, with its ports and passwords in the environment.
db_start() {
	local env
	if ! env=$(mdb_start "$T/db"); then
		fail "the MariaDB pair did not start"
		finish
	fi
	eval "$env"
}

# src_sql SQL / tgt_sql SQL: as root over the socket, values only.
src_sql() { mdb_root "$T/db" source -N -B -e "$1"; }
tgt_sql() { mdb_root "$T/db" replica -N -B -e "$1"; }

# db_plan NAME [CUTOVER_LINES] [EXTRA_INI]: a plan for the pair. The
# writer switch hook points the writer load at the new host.
db_plan() {
	local name=$1 cut=${2:-} extra=${3:-}
	mkdir -p "$T/plans"
	cat > "$T/switch.sh" <<HOOK
#!/bin/sh
# The writer switch: the application's database host, atomically. A test
# makes it fail by creating switch.fail.
if [ -e "$T/switch.fail" ]; then echo "switch refused by the test" >&2; exit 1; fi
printf '%s:%s\n' "\$MIGRATED_WRITER_HOST" "\$MIGRATED_WRITER_PORT" \
    > "$T/writer.host.tmp" && mv "$T/writer.host.tmp" "$T/writer.host"
echo "\$MIGRATED_HOOK \$MIGRATED_WRITER_PORT" >> "$T/switch.log"
HOOK
	chmod +x "$T/switch.sh"
	cat > "$T/plans/$name.ini" <<PLAN
[source]
host = 127.0.0.1
port = $SOURCE_PORT
user = migrate
password_file = $MIGRATE_PASSWORD_FILE
connect_timeout = 2s
schemas = shop
repl_user = repl
repl_password_file = $REPL_PASSWORD_FILE
heartbeat_interval = 100ms

[target]
kind = rds
host = 127.0.0.1
port = $REPLICA_PORT
user = admin
password_file = $ADMIN_PASSWORD_FILE
connect_timeout = 2s
max_lag = 1s
settle = 2s

$(plan_traffic)
poll_interval = 200ms

[cutover]
writer = hook
writer_hook = $T/switch.sh
$cut

[decommission]
do_token_file = $T/secrets/do
$extra
PLAN
	mkdir -p "$T/secrets"
	[ -f "$T/secrets/do" ] || { echo do-token > "$T/secrets/do"; chmod 600 "$T/secrets/do"; }
}

# db_items: the shop schema's rows on the source, not in its binary log
# (seeding copies them): items (5,000, with a TEXT column) and tags (300).
db_items() {
	src_sql "SET sql_log_bin = 0; USE shop;
	    CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(40),
	        price DECIMAL(8,2), note TEXT NULL);
	    INSERT INTO shop.items SELECT seq, CONCAT('item ', seq), seq / 7, NULL
	        FROM seq_1_to_5000;
	    CREATE TABLE shop.tags (item INT, tag VARCHAR(20), PRIMARY KEY (item, tag));
	    INSERT INTO shop.tags SELECT seq, 'red' FROM seq_1_to_300;"
}

# db_sync: start the daemon, create shop from its plan and seed it for
# real (inject seeding); it must replicate in sync (into shadow) within
# 90 s.
db_sync() {
	start_daemon
	ctl create "$T/plans/shop.ini" >/dev/null
	inject seeding
	start_daemon
	ok "seeded and in sync" wait_for 90 history_has 'replicating -> shadow'
}

# writer_start [RATE [PORT]]: the writer load, on the source (or PORT).
# Its numbers go on from the highest either server has.
writer_start() {
	local a b
	a=$(src_sql 'SELECT COALESCE(MAX(seq), 0) FROM shop.writes' 2>/dev/null)
	b=$(tgt_sql 'SELECT COALESCE(MAX(seq), 0) FROM shop.writes' 2>/dev/null)
	[ "${b:-0}" -gt "${a:-0}" ] 2>/dev/null && a=$b
	echo "127.0.0.1:${2:-$SOURCE_PORT}" > "$T/writer.host"
	"$BIN/bench/writer" run --host-file "$T/writer.host" --user app \
	    --password-file "$APP_PASSWORD_FILE" --rate "${1:-200}" \
	    --start $(( ${a:-0} + 1 )) --report "$T/writer.json" \
	    --quiet 2>>"$T/writer.log" &
	WPID=$!
}

writer_stop() {
	kill -TERM "$WPID" 2>/dev/null
	wait "$WPID" 2>/dev/null
	WPID=
}

# writer_lost PORT: acknowledged rows missing on that server.
writer_lost() {
	"$BIN/bench/writer" verify --host 127.0.0.1 --port "$1" --user app \
	    --password-file "$APP_PASSWORD_FILE" --report "$T/writer.json" \
	    2>>"$T/writer.log" | awk '/^lost/ { print $2 }'
}

# inject PHASE: stop the daemon and put the migration into PHASE, as if it
# had got there; the next start resumes it there. (The phases before the
# cutover that need AWS have no driver in this build.)
inject() {
	stop_daemon
	sqlite3 "$STATE" "UPDATE migrations SET phase = '$1', resume_to = NULL,
	    reason = NULL, phase_since = CAST(strftime('%s', 'now') AS INTEGER)
	    * 1000 WHERE name = '${2:-shop}'"
}

# journal [NAME]: the migration's whole journal, one line per entry:
# "kind from -> to text" (read from the store: the history command pages).
journal() {
	sqlite3 "$STATE" "SELECT kind, COALESCE(from_phase || ' -> ' ||
	    to_phase, ''), text FROM journal WHERE mig = (SELECT id FROM
	    migrations WHERE name = '${1:-shop}') ORDER BY id" 2>/dev/null |
	    tr '|' ' '
}

fact() {
	sqlite3 "$STATE" "SELECT value FROM facts WHERE key = '$1'"
}

# hold_lock NODE TABLE SECONDS: a session that holds a write lock on
# TABLE; release_lock NODE ends it (on the server: killing the client
# alone could leave the session to finish its sleep).
hold_lock() {
	mdb_root "$T/db" "$1" -e "LOCK TABLES $2 WRITE; SELECT SLEEP($3)" \
	    >/dev/null 2>&1 &
	HOLD_PID=$!
	HOLD_NODE=$1
}
release_lock() {
	mdb_root "$T/db" "$1" -N -e "SELECT CONCAT('KILL ', ID, ';') FROM
	    information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(%'" |
	    mdb_root "$T/db" "$1" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=
}

# Conditions for wait_for (functions, not sh -c: they use the ones above).
# history_has PATTERN [N [NAME]]: the journal has N (default: 1 or more)
# lines matching PATTERN.
history_has() {
	local n
	n=$(journal "${3:-shop}" | grep -c -- "$1")
	if [ -n "${2:-}" ]; then [ "$n" -eq "$2" ]; else [ "$n" -ge 1 ]; fi
}
# sql_is NODE SQL WANT: root's single value for SQL on NODE is WANT.
sql_is() { [ "$(mdb_root "$T/db" "$1" -N -B -e "$2" 2>/dev/null)" = "$3" ]; }
# sql_ge NODE SQL N: ... is a number >= N.
sql_ge() {
	local v
	v=$(mdb_root "$T/db" "$1" -N -B -e "$2" 2>/dev/null)
	[ -n "$v" ] && [ "$v" != NULL ] && [ "$v" -ge "$3" ]
}
# lost_is PORT N
lost_is() { [ "$(writer_lost "$1")" = "$2" ]; }
# fact_is KEY VALUE
fact_is() { [ "$(fact "$1")" = "$2" ]; }
