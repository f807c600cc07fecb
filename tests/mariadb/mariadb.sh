#!/usr/bin/env bash
# mariadb.sh: a private pair of real MariaDB servers for the tests, on
# loopback, in a throwaway directory: a "source" (the droplet's MySQL) and a
# "replica" (the RDS target, with the mysql.rds_* procedures of
# rds-fixture.sql and an RDS-like master user without SUPER).
#
# As a command:
#   mariadb.sh start DIR    start a fresh pair under DIR (DIR/source,
#                           DIR/replica; anything there before is wiped),
#                           print shell assignments for eval, and write the
#                           same to DIR/env.sh:
#                             eval "$(tests/mariadb/mariadb.sh start "$T/db")"
#   mariadb.sh stop DIR     stop both (shutdown, then SIGKILL after
#                           MDB_STOP_TIMEOUT s); idempotent, for traps
#   mariadb.sh status DIR   one line per server; exit 0 if both answer
#
# As a library (". tests/mariadb/mariadb.sh"): mdb_start, mdb_stop,
# mdb_status with the same arguments, and
#   mdb_root DIR NODE [mariadb args...]          root over the socket
#   mdb_as DIR NODE USER [mariadb args...]       a test user over TCP
# where NODE is "source" or "replica" and USER is repl, migrate, app or admin.
#
# Ports: SOURCE_PORT / REPLICA_PORT from the environment if set (the start
# fails if they are taken), else two free loopback ports picked at random in
# 20000-31999 (below the kernel's ephemeral range), re-picked if a server
# loses the race for its port. Several DIRs can run at once.
#
# Accounts (passwords from REPL_PASSWORD, MIGRATE_PASSWORD, APP_PASSWORD,
# ADMIN_PASSWORD, else fixed test values; also written to DIR/secrets/NAME,
# mode 0600). root@localhost (socket, no password) is the only root.
#   both     repl@%     REPLICATION SLAVE, REPLICATION CLIENT
#            app@%      SELECT, INSERT, UPDATE, DELETE ON shop.*: nothing
#                       that writes through read_only
#   source   migrate@%  the daemon: dump, freeze, kill, reverse replication,
#                       and its own `migrated` schema (see grant_source)
#   replica  admin@%    the RDS for MariaDB master user's privileges: no
#                       SUPER, no READ_ONLY ADMIN, no REPLICATION SLAVE
#                       ADMIN, no SLAVE MONITOR; replication only through
#                       the mysql.rds_* procedures
# Schema: `shop` on both; `shop.writes` (tests/bench/writer's table) on the
# source only, as the seeding would find it. The set-up is kept out of both
# binary logs (sql_log_bin=0), so replication replays only what tests do.
#
# Timing: MDB_START_TIMEOUT (30 s) per server to accept connections,
# MDB_STOP_TIMEOUT (20 s) per server to exit before SIGKILL.
# Size: MDB_BUFFER_POOL (32M) and MDB_LOG_FILE (16M) for InnoDB; the
# benchmarks' gigabyte of sysbench tables wants more (tests/bench/sb.sh).
#
# TLS (opt-in, MDB_TLS=1): start makes a throwaway CA and a server
# certificate for 127.0.0.1 and localhost (CN and subjectAltName) with
# openssl in DIR/tls/, starts the replica with --ssl-ca/--ssl-cert/--ssl-key
# (TLS offered, not required), and adds REPLICA_CA=DIR/tls/ca.pem to the
# assignments. The source never has TLS.

MDB_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MARIADBD=${MARIADBD:-/usr/sbin/mariadbd}
MARIADB_INSTALL_DB=${MARIADB_INSTALL_DB:-mariadb-install-db}
MARIADB=${MARIADB:-mariadb}
MARIADB_ADMIN=${MARIADB_ADMIN:-mariadb-admin}

mdb_log() { echo "mariadb.sh: $*" >&2; }

mdb_now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# mdb_pw NAME: the password of a test account.
mdb_pw() {
	case $1 in
	repl)	 echo "${REPL_PASSWORD:-repl-test-pw}" ;;
	migrate) echo "${MIGRATE_PASSWORD:-migrate-test-pw}" ;;
	app)	 echo "${APP_PASSWORD:-app-test-pw}" ;;
	admin)	 echo "${ADMIN_PASSWORD:-admin-test-pw}" ;;
	esac
}

# mdb_abs DIR: DIR as an absolute path (it need not exist yet).
mdb_abs() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd)" "$1" ;;
	esac
}

mdb_root() {
	local dir=$1 node=$2; shift 2
	"$MARIADB" --no-defaults -uroot -S "$dir/$node/mysqld.sock" \
	    --connect-timeout=5 "$@"
}

mdb_as() {
	local dir=$1 node=$2 user=$3 port; shift 3
	port=$(cat "$dir/$node/port" 2>/dev/null) || return 1
	"$MARIADB" --no-defaults -h127.0.0.1 -P"$port" -u"$user" \
	    -p"$(mdb_pw "$user")" --connect-timeout=5 "$@"
}

# mdb_pick_ports N: N distinct loopback ports nobody listens on.
mdb_pick_ports() {
	if command -v python3 >/dev/null 2>&1; then
		python3 - "$1" <<'PY'
import random, socket, sys
want, got = int(sys.argv[1]), []
for _ in range(1000):
    p = random.randrange(20000, 32000)
    if p in got:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    got.append(p)
    if len(got) == want:
        break
print(" ".join(map(str, got)))
PY
	else
		local got="" p n=0
		while [ "$n" -lt "$1" ]; do
			p=$(( 20000 + RANDOM % 12000 ))
			case " $got " in *" $p "*) continue ;; esac
			# Refused means free (a bind probe needs more than bash).
			if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
				got="$got $p"; n=$((n + 1))
			fi
		done
		echo $got
	fi
}

# mdb_pid DIR NODE: the server's pid if it is alive and really that
# server (a stale pid file may name a recycled pid).
mdb_pid() {
	local d=$1/$2 pid
	pid=$(cat "$d/mysqld.pid" 2>/dev/null) || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null |
	    grep -q -- "--datadir=$d/data" || return 1
	echo "$pid"
}

mdb_ping() {
	"$MARIADB_ADMIN" --no-defaults -uroot -S "$1/$2/mysqld.sock" \
	    --connect-timeout=1 ping >/dev/null 2>&1
}

# mdb_launch DIR NODE SERVER_ID PORT: start mariadbd in the background;
# its pid in DIR/NODE/launch.pid until it writes its own pid file.
mdb_launch() {
	local d=$1/$2 as_user=() tls=()
	[ "$(id -u)" = 0 ] && as_user=(--user=root)
	[ "$2" = replica ] && [ "${MDB_TLS:-0}" = 1 ] &&
	    tls=(--ssl-ca="$1/tls/ca.pem" --ssl-cert="$1/tls/server.pem"
	    --ssl-key="$1/tls/server-key.pem")
	rm -f "$d/mysqld.pid" "$d/error.log"
	echo "$4" > "$d/port"
	# setsid: an interrupt aimed at the test's process group does not
	# reach the servers; the test's trap stops them in order.
	setsid "$MARIADBD" --no-defaults "${as_user[@]}" \
	    --datadir="$d/data" --socket="$d/mysqld.sock" \
	    --pid-file="$d/mysqld.pid" --log-error="$d/error.log" \
	    --tmpdir="$d/tmp" \
	    --port="$4" --bind-address=127.0.0.1 --skip-name-resolve \
	    --server-id="$3" --log-bin=mysql-bin --relay-log=relay-bin \
	    --binlog-format=ROW --binlog-row-image=FULL --log-slave-updates \
	    --gtid-strict-mode=OFF --sync-binlog=1 \
	    --character-set-server=utf8mb4 \
	    --collation-server=utf8mb4_general_ci \
	    --innodb-buffer-pool-size="${MDB_BUFFER_POOL:-32M}" \
	    --innodb-log-file-size="${MDB_LOG_FILE:-16M}" \
	    --performance-schema=OFF --max-connections=100 "${tls[@]}" \
	    </dev/null >"$d/mariadbd.out" 2>&1 &
	echo $! > "$d/launch.pid"
}

# mdb_await DIR NODE: wait until the server answers a ping. Returns 0 when
# up, 2 when it died of a taken port (the caller may re-pick), 1 otherwise.
mdb_await() {
	local d=$1/$2 lpid deadline
	lpid=$(cat "$d/launch.pid")
	deadline=$(( $(mdb_now_ms) + ${MDB_START_TIMEOUT:-30} * 1000 ))
	while ! mdb_ping "$1" "$2"; do
		if ! kill -0 "$lpid" 2>/dev/null; then
			if grep -q 'Address already in use' \
			    "$d/error.log" "$d/mariadbd.out" 2>/dev/null; then
				return 2
			fi
			mdb_log "$2 server exited during start-up:"
			tail -n 15 "$d/error.log" >&2 2>/dev/null
			return 1
		fi
		if [ "$(mdb_now_ms)" -ge "$deadline" ]; then
			mdb_log "$2 server did not answer within" \
			    "${MDB_START_TIMEOUT:-30}s; log: $d/error.log"
			return 1
		fi
		sleep 0.02
	done
	return 0
}

# mdb_tls DIR: a throwaway CA and a server certificate (127.0.0.1,
# localhost) signed by it, in DIR/tls/.
mdb_tls() {
	local t=$1/tls
	rm -rf "$t" && mkdir -p "$t" && chmod 700 "$t" || return 1
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout "$t/ca-key.pem" -out "$t/ca.pem" -days 2 \
		    -subj "/CN=mariadb.sh test CA" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		    -nodes -keyout "$t/server-key.pem" -out "$t/server.csr" \
		    -subj "/CN=127.0.0.1" &&
		printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" \
		    "basicConstraints=CA:FALSE" \
		    "keyUsage=digitalSignature,keyEncipherment" \
		    "extendedKeyUsage=serverAuth" > "$t/server.ext" &&
		openssl x509 -req -in "$t/server.csr" -CA "$t/ca.pem" \
		    -CAkey "$t/ca-key.pem" -CAcreateserial -days 2 \
		    -extfile "$t/server.ext" -out "$t/server.pem"
	} >"$t/openssl.log" 2>&1 || {
		mdb_log "openssl failed; see $t/openssl.log"
		return 1
	}
}

# mdb_sql_quote STRING: STRING as a SQL string literal.
mdb_sql_quote() {
	local s=${1//\\/\\\\}
	printf "'%s'" "${s//\'/\'\'}"
}

# Accounts and schema common to both servers.
mdb_grant_common() {
	cat <<SQL
SET SESSION sql_log_bin = 0;
-- root only over the socket: the daemon's preflight refuses accounts that
-- write through read_only, and a real droplet has root@localhost alone.
$(mdb_root "$1" "$2" -N -e "SELECT CONCAT('DROP USER ', QUOTE(User), '@',
    QUOTE(Host), ';') FROM mysql.user WHERE User = 'root' AND
    Host <> 'localhost' OR User = ''")
CREATE DATABASE shop;
CREATE USER 'repl'@'%' IDENTIFIED BY $(mdb_sql_quote "$(mdb_pw repl)");
GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'%';
CREATE USER 'app'@'%' IDENTIFIED BY $(mdb_sql_quote "$(mdb_pw app)");
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'%';
SQL
}

mdb_grant_source() {
	cat <<SQL
SET SESSION sql_log_bin = 0;
-- The daemon's source account:
--   SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD,
--   REPLICATION CLIENT (= BINLOG MONITOR)   consistent dump with coordinates
--                                           (FLUSH TABLES WITH READ LOCK,
--                                           SHOW MASTER STATUS); global
--                                           SELECT also shows every
--                                           account's privileges
--   PROCESS                                 see every session: long writers
--                                           before the freeze, lingering
--                                           application connections
--   READ_ONLY ADMIN                         SET GLOBAL read_only (on 10.11
--                                           SUPER can no longer), and write
--                                           the marker row after the freeze
--   CONNECTION ADMIN                        KILL other users' connections
--   REPLICATION SLAVE ADMIN, SLAVE MONITOR  reverse replication RDS -> source
--                                           (CHANGE MASTER, START/STOP SLAVE,
--                                           SHOW SLAVE STATUS)
--   BINLOG ADMIN                            SET SESSION binlog_format =
--                                           'STATEMENT' on its own session:
--                                           verify's replicated checksums
--                                           (RDS for MariaDB targets, which
--                                           cannot stop replication at a
--                                           position), as pt-table-checksum
--   all on migrated.*                       the heartbeat, marker and
--                                           checksums tables
-- No SUPER.
CREATE USER 'migrate'@'%' IDENTIFIED BY $(mdb_sql_quote "$(mdb_pw migrate)");
GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES, RELOAD,
    REPLICATION CLIENT, PROCESS, READ_ONLY ADMIN, CONNECTION ADMIN,
    REPLICATION SLAVE ADMIN, SLAVE MONITOR, BINLOG ADMIN ON *.*
    TO 'migrate'@'%';
GRANT ALL ON migrated.* TO 'migrate'@'%';
-- tests/bench/writer's table (the writer creates it only if missing: app
-- has no CREATE).
CREATE TABLE shop.writes (
	id	BIGINT PRIMARY KEY,
	seq	BIGINT NOT NULL UNIQUE,
	at_us	BIGINT,
	note	VARCHAR(64)
) ENGINE=InnoDB;
SQL
}

mdb_grant_replica() {
	cat <<SQL
SET SESSION sql_log_bin = 0;
-- RDS for MariaDB's master user, as the RDS user guide lists it.
-- REPLICATION CLIENT is BINLOG MONITOR on 10.5+: SHOW MASTER STATUS works,
-- SHOW SLAVE STATUS does not (it needs SLAVE MONITOR, which RDS withholds:
-- CALL mysql.rds_replica_status instead).
CREATE USER 'admin'@'%' IDENTIFIED BY $(mdb_sql_quote "$(mdb_pw admin)");
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS,
    REFERENCES, INDEX, ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES,
    LOCK TABLES, EXECUTE, REPLICATION CLIENT, CREATE VIEW, SHOW VIEW,
    CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER,
    REPLICATION SLAVE ON *.* TO 'admin'@'%' WITH GRANT OPTION;
SQL
}

mdb_env() {
	local dir=$1 n u N
	printf 'MDB_DIR=%q\n' "$dir"
	for n in source replica; do
		N=$(echo "$n" | tr a-z A-Z)
		printf '%s_HOST=127.0.0.1\n' "$N"
		printf '%s_PORT=%s\n' "$N" "$(cat "$dir/$n/port")"
		printf '%s_SOCK=%q\n' "$N" "$dir/$n/mysqld.sock"
	done
	if [ -f "$dir/tls/ca.pem" ]; then
		printf 'REPLICA_CA=%q\n' "$dir/tls/ca.pem"
	fi
	for u in repl migrate app admin; do
		N=$(echo "$u" | tr a-z A-Z)
		printf '%s_USER=%s\n' "$N" "$u"
		printf '%s_PASSWORD=%q\n' "$N" "$(mdb_pw "$u")"
		printf '%s_PASSWORD_FILE=%q\n' "$N" "$dir/secrets/$u"
	done
}

mdb_start() {
	local dir t0 n ports sp rp tries=0 rc_s rc_r u pids=""
	[ $# -eq 1 ] || { mdb_log "usage: start DIR"; return 64; }
	dir=$(mdb_abs "$1")
	t0=$(mdb_now_ms)
	# sun_path holds 108 bytes.
	if [ ${#dir} -gt 85 ]; then
		mdb_log "$dir: too long for a socket path; use a shorter DIR"
		return 1
	fi
	mdb_stop "$dir" || return 1
	rm -rf "$dir/source" "$dir/replica" "$dir/secrets" "$dir/env.sh" \
	    "$dir/tls"
	mkdir -p "$dir/source/data" "$dir/source/tmp" \
	    "$dir/replica/data" "$dir/replica/tmp" "$dir/secrets" || return 1
	chmod 700 "$dir/secrets"
	for u in repl migrate app admin; do
		( umask 077; mdb_pw "$u" > "$dir/secrets/$u" )
	done

	# Both data directories at once: ~0.5 s each.
	for n in source replica; do
		"$MARIADB_INSTALL_DB" --no-defaults --datadir="$dir/$n/data" \
		    $([ "$(id -u)" = 0 ] && echo --user=root) \
		    --auth-root-authentication-method=normal --skip-test-db \
		    --tmpdir="$dir/$n/tmp" \
		    --skip-name-resolve --innodb-log-file-size=16M \
		    --innodb-buffer-pool-size=32M \
		    >"$dir/$n/install.log" 2>&1 &
		pids="$pids $!"
	done
	rc_s=0
	for n in $pids; do wait "$n" || rc_s=1; done
	if [ "$rc_s" -ne 0 ]; then
		mdb_log "mariadb-install-db failed; see $dir/*/install.log"
		tail -n 10 "$dir"/*/install.log >&2
		return 1
	fi

	if [ "${MDB_TLS:-0}" = 1 ] && ! mdb_tls "$dir"; then
		mdb_stop "$dir"
		return 1
	fi

	sp=${SOURCE_PORT:-}; rp=${REPLICA_PORT:-}
	while :; do
		tries=$((tries + 1))
		ports=$(mdb_pick_ports 2)
		[ -n "${SOURCE_PORT:-}" ] || sp=${ports% *}
		[ -n "${REPLICA_PORT:-}" ] || rp=${ports#* }
		[ -f "$dir/source/up" ] || mdb_launch "$dir" source 1 "$sp"
		[ -f "$dir/replica/up" ] || mdb_launch "$dir" replica 2 "$rp"
		rc_s=0; rc_r=0
		[ -f "$dir/source/up" ] || mdb_await "$dir" source || rc_s=$?
		[ -f "$dir/replica/up" ] || mdb_await "$dir" replica || rc_r=$?
		[ "$rc_s" -eq 0 ] && touch "$dir/source/up"
		[ "$rc_r" -eq 0 ] && touch "$dir/replica/up"
		[ "$rc_s" -eq 0 ] && [ "$rc_r" -eq 0 ] && break
		# Lost the race for a port we picked: pick again.
		if [ "$tries" -lt 5 ] &&
		    { [ "$rc_s" -eq 0 ] || { [ "$rc_s" -eq 2 ] && [ -z "${SOURCE_PORT:-}" ]; }; } &&
		    { [ "$rc_r" -eq 0 ] || { [ "$rc_r" -eq 2 ] && [ -z "${REPLICA_PORT:-}" ]; }; }; then
			continue
		fi
		[ "$rc_s" -eq 2 ] && mdb_log "source: port $sp is taken"
		[ "$rc_r" -eq 2 ] && mdb_log "replica: port $rp is taken"
		mdb_stop "$dir"
		return 1
	done
	rm -f "$dir/source/up" "$dir/replica/up"

	if ! { mdb_grant_common "$dir" source; mdb_grant_source; } |
	    mdb_root "$dir" source ||
	    ! { mdb_grant_common "$dir" replica; mdb_grant_replica; } |
	    mdb_root "$dir" replica ||
	    ! mdb_root "$dir" replica < "$MDB_HERE/rds-fixture.sql"; then
		mdb_log "setting up the accounts or the RDS fixture failed"
		mdb_stop "$dir"
		return 1
	fi

	mdb_env "$dir" > "$dir/env.sh"
	cat "$dir/env.sh"
	echo "# started in $(( $(mdb_now_ms) - t0 )) ms" >> "$dir/env.sh"
	return 0
}

# mdb_stop_one DIR NODE
mdb_stop_one() {
	local d=$1/$2 pid deadline
	if ! pid=$(mdb_pid "$1" "$2"); then
		# Never wrote its pid file: the launcher's pid, if still ours.
		pid=$(cat "$d/launch.pid" 2>/dev/null) || return 0
		tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null |
		    grep -q -- "--datadir=$d/data" || return 0
	fi
	timeout 5 "$MARIADB_ADMIN" --no-defaults -uroot -S "$d/mysqld.sock" \
	    --connect-timeout=2 shutdown >/dev/null 2>&1 ||
	    kill -TERM "$pid" 2>/dev/null
	deadline=$(( $(mdb_now_ms) + ${MDB_STOP_TIMEOUT:-20} * 1000 ))
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(mdb_now_ms)" -ge "$deadline" ]; then
			mdb_log "$2 server (pid $pid) ignored shutdown; SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			deadline=$(( $(mdb_now_ms) + 5000 ))
			while kill -0 "$pid" 2>/dev/null &&
			    [ "$(mdb_now_ms)" -lt "$deadline" ]; do
				sleep 0.02
			done
			break
		fi
		sleep 0.02
	done
	! kill -0 "$pid" 2>/dev/null
}

mdb_stop() {
	local dir rc=0
	[ $# -eq 1 ] || { mdb_log "usage: stop DIR"; return 64; }
	dir=$(mdb_abs "$1")
	[ -d "$dir" ] || return 0
	mdb_stop_one "$dir" source & local a=$!
	mdb_stop_one "$dir" replica & local b=$!
	wait "$a" || rc=1
	wait "$b" || rc=1
	return $rc
}

mdb_status() {
	local dir n pid rc=0
	[ $# -eq 1 ] || { mdb_log "usage: status DIR"; return 64; }
	dir=$(mdb_abs "$1")
	for n in source replica; do
		if ! pid=$(mdb_pid "$dir" "$n"); then
			echo "$n: stopped"; rc=1
		elif mdb_ping "$dir" "$n"; then
			echo "$n: running pid $pid port $(cat "$dir/$n/port")" \
			    "socket $dir/$n/mysqld.sock"
		else
			echo "$n: pid $pid not answering"; rc=1
		fi
	done
	return $rc
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	case ${1:-} in
	start)	shift
		# The servers run in their own sessions: an interrupted start
		# must stop what it started.
		trap 'mdb_stop "${1:-}"; exit 130' INT TERM HUP
		mdb_start "$@" ;;
	stop)	shift; mdb_stop "$@" ;;
	status)	shift; mdb_status "$@" ;;
	*)	echo "usage: $0 start|stop|status DIR" >&2; exit 64 ;;
	esac
fi
