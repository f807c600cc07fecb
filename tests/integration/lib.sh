# lib.sh: shared by the integration tests. Each test sources it, gets a
# private temporary directory, socket and state file, and drives the real
# migrated and migratectl. Everything started here is stopped by the trap.
set -u

BIN=${MIGRATED_BIN:-build}
case $BIN in /*) ;; *) BIN=$(cd "$(dirname "$0")/../.." && pwd)/$BIN ;; esac
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/migrated-test.XXXXXX)
SOCK=$T/migrated.sock
STATE=$T/state.db
LOG=$T/migrated.log
DPID=
FAILS=0
CHECKS=0

# AWS: the daemon finds the test key pair in its environment and nothing
# else (no ~/.aws, no instance metadata). Tests without an AWS endpoint of
# their own point [aws] at a closed loopback port (AWS_TEST_URL), so
# preflight's AWS checks fail at once, the same way on every machine.
export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION \
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_CREDENTIALS_FULL_URI \
    AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE
AWS_TEST_URL=${AWS_TEST_URL:-http://127.0.0.1:9}
# The same for DigitalOcean: a test with tests/fakes/fakedo.py sets it.
DO_TEST_URL=${DO_TEST_URL:-http://127.0.0.1:9}

cleanup() {
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -9 "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
	fi
	if [ "$FAILS" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- daemon log ($LOG) ---" >&2
		tail -n 40 "$LOG" >&2 2>/dev/null
	fi
	if [ -n "${WEBHOOK_PID:-}" ]; then
		kill "$WEBHOOK_PID" 2>/dev/null; wait "$WEBHOOK_PID" 2>/dev/null
	fi
	# Tests that start more (database servers, a writer) stop it here.
	if declare -F cleanup_more >/dev/null; then cleanup_more; fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

pass() { CHECKS=$((CHECKS + 1)); }
fail() {
	CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1))
	echo "FAIL: $(basename "$0"): $*" >&2
}
# ok DESCRIPTION COMMAND...: the command must succeed.
ok() { local d=$1; shift; if "$@"; then pass; else fail "$d"; fi; }
# expect_eq DESCRIPTION WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then pass; else fail "$1: want '$2', got '$3'"; fi
}
# expect_match DESCRIPTION REGEX TEXT
expect_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then pass
	else fail "$1: '$3' does not match /$2/"; fi
}
finish() {
	# A sanitized daemon reports errors and leaks into its log.
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$LOG" \
	    2>/dev/null; then
		fail "sanitizer report in the daemon log"
		grep -E -m3 -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		    "$LOG" >&2
	fi
	if [ "$FAILS" -eq 0 ]; then
		echo "ok: $(basename "$0") ($CHECKS checks)"
		exit 0
	fi
	echo "FAILED: $(basename "$0") ($FAILS of $CHECKS checks)" >&2
	exit 1
}

# wait_for DEADLINE_SECONDS COMMAND...: poll until the command succeeds.
wait_for() {
	local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 )); shift
	while ! "$@" >/dev/null 2>&1; do
		if [ $(( $(date +%s%N) / 1000000 )) -ge $deadline ]; then
			return 1
		fi
		sleep 0.05
	done
	return 0
}

write_config() {
	cat > "$T/migrated.conf" <<CONF
[daemon]
socket = $SOCK
socket_mode = ${SOCKET_MODE:-0660}
state_db = $STATE
plan_dir = $T/plans
log_level = debug

[aws]
region = us-east-1
endpoint_elasticloadbalancing = $AWS_TEST_URL
endpoint_ecs = $AWS_TEST_URL
endpoint_monitoring = $AWS_TEST_URL
endpoint_sts = $AWS_TEST_URL
endpoint_route53 = $AWS_TEST_URL

[digitalocean]
endpoint = $DO_TEST_URL
CONF
	mkdir -p "$T/plans"
}

# start_daemon [ARGS...]: start migrated and wait until it answers.
start_daemon() {
	[ -f "$T/migrated.conf" ] || write_config
	${DAEMON_WRAP:-} "$BIN/migrated" --foreground --config "$T/migrated.conf" "$@" \
	    >>"$LOG" 2>&1 &
	DPID=$!
	if ! wait_for 10 ctl list; then
		fail "daemon did not come up"
		finish
	fi
}

stop_daemon() {
	kill -TERM "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	local rc=$?
	DPID=
	return $rc
}

kill9_daemon() {
	kill -9 "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	DPID=
}

ctl() { "$BIN/migratectl" -s "$SOCK" "$@"; }

# jget FIELD_PATH: read JSON on stdin, print a field ("a.b.0.c").
jget() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    if k == "": continue
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print("null" if v is None else (json.dumps(v) if isinstance(v, (dict, list)) else v))
' "$1"
}

# phase_of NAME
phase_of() { ctl --json status "$1" | jget migrations.0.phase; }
phase_is() { [ "$(phase_of "$1")" = "$2" ]; }
# reason_of [NAME]: why the migration (shop) failed or paused.
reason_of() { ctl --json status "${1:-shop}" | jget migrations.0.reason; }

# preflight NAME [SECONDS]: create NAME from $T/plans/NAME.ini and start
# it; its preflight must end, failed, within SECONDS (30).
preflight() {
	ctl create "$T/plans/$1.ini" >/dev/null
	ctl start "$1" >/dev/null
	ok "preflight of $1 ends" wait_for "${2:-30}" phase_is "$1" failed
}

# plan_traffic: a plan's [traffic] lines, with made-up ARNs, for the tests
# that have no AWS fixture of their own.
plan_traffic() {
	cat <<TRAFFIC
[traffic]
listener_arn = arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2
droplet_target_group_arn = arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/droplets/73e2d6bc24d8a067
ecs_target_group_arn = arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/ecs/943f017f100becff
ecs_cluster = shop
ecs_service = web
droplet_tag = shop-web
TRAFFIC
}

# make_plan NAME [EXTRA_INI]: a complete plan in $T/plans/NAME.ini, with
# secret files of mode 0600. EXTRA_INI lines are appended (e.g. hooks).
make_plan() {
	local name=$1 extra=${2:-}
	mkdir -p "$T/secrets" "$T/plans"
	for s in src repl tgt do; do
		[ -f "$T/secrets/$s" ] || { echo "secret-$s" > "$T/secrets/$s"; chmod 600 "$T/secrets/$s"; }
	done
	cat > "$T/plans/$name.ini" <<PLAN
[source]
host = 127.0.0.1
port = 3306
user = migrate
password_file = $T/secrets/src
schemas = shop
repl_user = repl
repl_password_file = $T/secrets/repl

[target]
kind = rds
host = 127.0.0.2
port = 3306
user = admin
password_file = $T/secrets/tgt

$(plan_traffic)
steps = 1, 5, 10, 25, 50, 75
bake = 5m

[cutover]
writer = hook
writer_hook = /bin/true

[decommission]
do_token_file = $T/secrets/do
$extra
PLAN
}

# webhook_receiver: a Slack-compatible webhook endpoint on loopback that
# writes each message's text, on one line, to $T/hook.out; its port is in
# $T/hook.port. Stopped by cleanup.
webhook_receiver() {
	/usr/bin/python3 - "$T/hook.port" "$T/hook.out" <<'PY' &
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        b = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "a") as f:
            f.write(json.loads(b)["text"].replace("\n", " ") + "\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
	WEBHOOK_PID=$!
	wait_for 10 test -s "$T/hook.port"
}
