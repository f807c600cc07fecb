# selftest.sh: sourced by the test endpoints' self-tests (test_NAME.sh for
# NAME.py): a private temporary directory, the fake started in it and
# stopped by the trap, one line per check, and the control API.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/fakes.sh"

FAKE=$(basename "$0" .sh)
FAKE=${FAKE#test_}
T=$(mktemp -d "/tmp/$FAKE-test.XXXXXX")
FPID=
MOTO_PID=
PASSED=0
FAILED=0
LABEL=

cleanup() {
	fake_stop "$FPID" "$MOTO_PID"
	if [ "$FAILED" -ne 0 ] || [ -n "${KEEP:-}" ]; then
		echo "--- $FAKE stderr ($T/$FAKE.err) ---" >&2
		tail -n 30 "$T/$FAKE.err" >&2 2>/dev/null
	fi
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# selftest_start SECONDS [ARGS...]: start the fake (fake_start) in $T,
# source its env file and check that it printed its port; FAKE_URL is its
# NAME_URL. Exits on failure.
selftest_start() {
	fake_start "$FAKE" "$T" "$@"
	FPID=$FAKE_PID
	if [ ! -s "$T/$FAKE.env" ]; then
		echo "FAIL $FAKE did not start" >&2
		cat "$T/$FAKE.err" >&2
		exit 1
	fi
	. "$T/$FAKE.env"
	local port=${FAKE^^}_PORT url=${FAKE^^}_URL
	grep -q "^$port=${!port}\$" "$T/$FAKE.out" ||
	    { echo "FAIL $port not printed on stdout" >&2; exit 1; }
	FAKE_URL=${!url}
}

# pass/fail DESCRIPTION: count and print a check ("LABEL: " first while
# LABEL is set).
pass() { PASSED=$((PASSED + 1)); echo "ok   ${LABEL:+$LABEL: }$1"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL ${LABEL:+$LABEL: }$1"; }
# check DESCRIPTION WANT GOT
check() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1: want '$2', got '$3'"; fi
}
# check_match DESCRIPTION REGEX TEXT
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then pass "$1"
	else fail "$1: '$3' does not match /$2/"; fi
}
# ctl METHOD PATH [JSON]: the fake's control API, body on stdout.
ctl() {
	curl -sf -X "$1" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"} "$FAKE_URL$2"
}
# selftest_end: the tally; the exit status is 1 on any failure.
selftest_end() {
	echo "$PASSED passed, $FAILED failed ($(($(date +%s) - START)) s)"
	[ "$FAILED" -eq 0 ]
}
