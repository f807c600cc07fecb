# fakes.sh: start and stop the test endpoints (fakeaws.py, fakedo.py) from
# bash. Sourced by their self-tests and by the integration tests; defines
# functions only.

FAKES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# fake_start NAME DIR SECONDS [ARGS...]: start NAME.py on a free port with
# ARGS, its stdout and stderr in DIR/NAME.out and DIR/NAME.err, and wait up
# to SECONDS for its env file DIR/NAME.env (written whole, once it
# listens). Its pid in FAKE_PID; fails if it did not start in time.
fake_start() {
	local name=$1 dir=$2 tries=$(($3 * 10))
	shift 3
	python3 "$FAKES_DIR/$name.py" --port 0 --env-file "$dir/$name.env" \
	    "$@" >"$dir/$name.out" 2>"$dir/$name.err" &
	FAKE_PID=$!
	while [ "$tries" -gt 0 ]; do
		[ -s "$dir/$name.env" ] && return 0
		kill -0 "$FAKE_PID" 2>/dev/null || return 1
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# fake_stop PID [MOTO_PID]: stop a fake (SIGTERM, SIGKILL after 5 s). A
# fakeaws stops the moto it spawned; if it could not, MOTO_PID's process
# group is killed here.
fake_stop() {
	if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
		kill -TERM "$1" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$1" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
	if [ -n "${2:-}" ] && kill -0 "$2" 2>/dev/null; then
		kill -KILL -- "-$2" 2>/dev/null
	fi
}
