#!/usr/bin/env bash
# demo.sh: the rehearsal (`make demo`). A whole migration on this machine,
# from create to done, against real MariaDB servers and the project's AWS
# and DigitalOcean test endpoints, with a writer committing throughout;
# `migratectl status --watch` shows it as it runs, and a summary ends it.
# Everything it starts runs in a temporary directory and is stopped at
# the end. See rehearsal.sh for the parts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"
. "$(dirname "$0")/rehearsal.sh"

t0=$(date +%s%N)
echo "rehearsal: starting MariaDB (source and replica), the AWS and" \
    "DigitalOcean test endpoints, the writer and migrated in $T"
rh_start
echo "rehearsal: migrating 'shop' (plan: $T/plans/shop.ini)"
"$BIN/migratectl" -s "$SOCK" status shop --watch 2>/dev/null &
WATCH=$!
rh_drive 150
rc=$?
sleep 0.5
kill "$WATCH" 2>/dev/null; wait "$WATCH" 2>/dev/null
writer_stop
echo
echo "=== rehearsal summary ==="
rh_summary
dur=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "total: $(( dur / 1000 )).$(( dur % 1000 / 100 )) s"
echo "BENCH demo_total_s $(( dur / 1000 )).$(( dur % 1000 / 100 )) s"
if [ "$rc" -ne 0 ]; then
	fail "the migration did not reach done: $(phase_of shop): $(ctl --json status shop | jget migrations.0.reason)"
fi
stop_daemon
finish
