#!/usr/bin/env bash
# sample.sh: try migrated by hand. Starts the daemon on a private socket and
# state file in a temporary directory, creates a migration from a sample
# plan and walks it with migratectl, printing each command and its answer.
# Everything is removed at the end.
. "$(dirname "$0")/lib.sh"

say() { printf '\n$ migratectl %s\n' "$*"; ctl "$@"; }

start_daemon
make_plan shop "[hooks]
before_preflight = echo \"preflight of \$MIGRATED_NAME begins\""
echo "migrated is running (pid $DPID), socket $SOCK, state $STATE"
say create "$T/plans/shop.ini"
say list
say plan shop
say set shop gates.max_p99=800ms
say start shop
wait_for 10 phase_is shop failed
say status shop
say history shop
say abort shop "sample run over"
wait_for 10 phase_is shop rolled_back
say list
echo
echo "No database, AWS or DigitalOcean endpoint answers here, so preflight stops"
echo "the migration in 'failed' and says why; make demo runs the real thing."
stop_daemon
finish
