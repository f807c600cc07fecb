# t-crash: kill -9 of the daemon between an effect's intent and its result.
# The before_preflight hook records that it ran and SIGKILLs migrated while
# the intent is open. At restart the intent is reconciled (a hook's outcome
# cannot be checked, so the migration fails with that reason), never run
# again by itself; `retry` is the operator's decision.
. "$(dirname "$0")/lib.sh"

cat > "$T/hook.sh" <<'HOOK'
#!/bin/sh
echo "ran $MIGRATED_HOOK effect=$MIGRATED_EFFECT_ID" >> "$(dirname "$0")/hook.log"
if [ ! -e "$(dirname "$0")/killed" ]; then
	touch "$(dirname "$0")/killed"
	kill -9 "$MIGRATED_PID"
	sleep 1
fi
exit 0
HOOK
chmod +x "$T/hook.sh"
make_plan shop "[hooks]
before_preflight = $T/hook.sh
timeout = 10s"

start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
ctl start shop >/dev/null
ok "the hook killed the daemon" wait_for 10 sh -c "! kill -0 $DPID"
wait "$DPID" 2>/dev/null; DPID=

open=$(sqlite3 "$STATE" "select count(*) from effects where state='intent'")
expect_eq "one open intent on disk" 1 "$open"
expect_eq "phase on disk" preflight \
    "$(sqlite3 "$STATE" "select phase from migrations where name='shop'")"
expect_eq "hook ran once" 1 "$(wc -l < "$T/hook.log")"

start_daemon
ok "reconciled into failed" wait_for 10 phase_is shop failed
reason=$(ctl --json status shop | jget migrations.0.reason)
expect_match "reason says the hook was interrupted" \
    "before_preflight was interrupted by a restart" "$reason"
expect_eq "not run again by itself" 1 "$(wc -l < "$T/hook.log")"
expect_eq "no open intent left" 0 \
    "$(sqlite3 "$STATE" "select count(*) from effects where state='intent'")"
expect_eq "intent reconciled" 1 \
    "$(sqlite3 "$STATE" "select count(*) from effects where state='reconciled'")"
expect_match "history shows the reconciliation" "outcome unknown" \
    "$(ctl history shop)"

# The operator retries: the hook runs again (now it does not kill), and
# preflight goes on to its own verdict.
ctl retry shop >/dev/null; ok "retry" test $? -eq 0
ok "preflight verdict" wait_for 10 phase_is shop failed
expect_eq "hook ran a second time" 2 "$(wc -l < "$T/hook.log")"
expect_eq "second run journaled done" 1 \
    "$(sqlite3 "$STATE" "select count(*) from effects where state='done'")"
expect_match "preflight's own reason" \
    "DigitalOcean: ListDroplets: ConnectionError" \
    "$(ctl --json status shop | jget migrations.0.reason)"

# kill -9 with no effect open: the phase is read back as it was.
kill9_daemon
start_daemon
expect_eq "failed survives kill -9" failed "$(phase_of shop)"
stop_daemon; expect_eq "clean exit, nothing leaked" 0 $?
finish
