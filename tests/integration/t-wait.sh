# t-wait: `migratectl wait` for CI, against a real daemon: each exit
# status (0 reached or passed, 1 failed, paused or rolled back with the
# reason, 2 usage, 3 unreachable, 4 timeout), a phase reached while it
# waits, and a daemon restarted under it.
. "$(dirname "$0")/lib.sh"

start_daemon
make_plan shop
ctl create "$T/plans/shop.ini" >/dev/null; ok "create" test $? -eq 0

# --- usage: exit 2 ---
ctl wait shop >/dev/null 2>"$T/err"
expect_eq "neither --phase nor --done" 2 $?
expect_match "says what it needs" "give --phase PHASE or --done" "$(cat "$T/err")"
ctl wait shop --phase seeding --done >/dev/null 2>&1
expect_eq "both" 2 $?
ctl wait shop --phase seeding --timeout soon >/dev/null 2>"$T/err"
expect_eq "a bad duration" 2 $?
expect_match "names it" "--timeout takes a duration like 90s" "$(cat "$T/err")"
ctl wait shop --phase shiftng --timeout 5s >/dev/null 2>"$T/err"
expect_eq "a phase that is none" 2 $?
expect_match "lists the phases in their order" \
    '"shiftng" is not a phase of the forward path; one of: planned, preflight, seeding, replicating, shadow, shifting, ready, cutover, full_traffic, soak, decommission, done' \
    "$(cat "$T/err")"
ctl wait shop --phase paused --timeout 5s >/dev/null 2>&1
expect_eq "a side state cannot be waited for" 2 $?
ctl wait nosuch --done --timeout 5s >/dev/null 2>"$T/err"
expect_eq "unknown migration: refused" 1 $?
expect_match "not_found" "not_found" "$(cat "$T/err")"

# --- 4: timeout ---
t0=$(date +%s%N)
ctl wait shop --phase preflight --timeout 1500ms >/dev/null 2>"$T/err"
expect_eq "not started: timeout" 4 $?
expect_match "says so" "shop has not reached preflight in the time given" \
    "$(cat "$T/err")"
ok "after the timeout, not before" test $(( ($(date +%s%N) - t0) / 1000000 )) -ge 1400

# --- 0: reached while waiting, from the daemon's change ---
ctl wait shop --phase preflight --timeout 60s >"$T/out" 2>&1 &
wpid=$!
sleep 0.5
ok "still waiting before start" kill -0 $wpid
ctl start shop >/dev/null
wait $wpid
expect_eq "reached: 0" 0 $?
expect_match "prints it" "^shop reached preflight \(now (preflight|failed)\)" "$(cat "$T/out")"
ok "preflight fails (nothing to reach here)" wait_for 30 phase_is shop failed

# --- 0: passed; 1: stopped short of it, with the reason ---
ctl wait shop --phase planned --timeout 5s >/dev/null
expect_eq "failed in preflight has passed planned: 0" 0 $?
ctl wait shop --done --timeout 5s >"$T/out" 2>"$T/err"
expect_eq "failed: 1" 1 $?
expect_match "with the reason" "shop is failed, short of done: .*(source|AWS)" "$(cat "$T/err")"
json=$(ctl --json wait shop --phase seeding --timeout 5s)
expect_eq "--json: 1 too" 1 $?
expect_eq "--json outcome" stopped "$(printf '%s' "$json" | jget outcome)"
ok "--json reason" test -n "$(printf '%s' "$json" | jget reason)"

# --- 1: paused by an operator, with the reason ---
stop_daemon
sqlite3 "$STATE" "UPDATE migrations SET phase = 'paused',
    resume_to = 'shifting', reason = 'pause by uid 0: hold for the launch'
    WHERE name = 'shop'"
start_daemon
ctl wait shop --done --timeout 5s >/dev/null 2>"$T/err"
expect_eq "paused: 1" 1 $?
expect_match "the pause's reason" "shop is paused, short of done: pause by uid 0: hold for the launch" \
    "$(cat "$T/err")"
ctl wait shop --phase shadow --timeout 5s >/dev/null
expect_eq "paused in shifting has passed shadow: 0" 0 $?

# --- 1: rolled back ---
stop_daemon
sqlite3 "$STATE" "UPDATE migrations SET phase = 'failed',
    resume_to = 'preflight', reason = 'preflight failed' WHERE name = 'shop'"
start_daemon
ctl abort shop "changed our minds" >/dev/null
ok "rolled back" wait_for 30 phase_is shop rolled_back
ctl wait shop --done --timeout 5s >/dev/null 2>"$T/err"
expect_eq "rolled back: 1" 1 $?
expect_match "the rollback's reason" "shop is rolled_back, short of done: .*changed our minds" \
    "$(cat "$T/err")"
ctl wait shop --phase planned --timeout 5s >/dev/null 2>&1
expect_eq "a rollback passed nothing: 1" 1 $?

# --- 1: failed while a wait runs ---
make_plan three
ctl create "$T/plans/three.ini" >/dev/null; ok "create three" test $? -eq 0
ctl wait three --done --timeout 60s >/dev/null 2>"$T/err" &
wpid=$!
sleep 0.5
ok "waiting while planned" kill -0 $wpid
ctl start three >/dev/null
wait $wpid
expect_eq "failed in preflight while waiting: 1" 1 $?
expect_match "preflight's reason" "three is failed, short of done: " \
    "$(cat "$T/err")"

# --- a daemon restarted under a wait: it reconnects and goes on ---
make_plan two
ctl create "$T/plans/two.ini" >/dev/null; ok "create two" test $? -eq 0
ctl wait two --phase preflight --timeout 60s >"$T/out" 2>"$T/err" &
wpid=$!
sleep 0.5
stop_daemon
sleep 1.5
ok "still waiting while migrated is away" kill -0 $wpid
start_daemon
ctl start two >/dev/null
wait $wpid
expect_eq "reached after the restart: 0" 0 $?
expect_match "said it went away" "went away; waiting for it to come back" "$(cat "$T/err")"
expect_match "then reached" "^two reached preflight" "$(cat "$T/out")"

# --- 3: migrated gone until the timeout ---
ok "two failed" wait_for 30 phase_is two failed
stop_daemon
sqlite3 "$STATE" "UPDATE migrations SET phase = 'planned', resume_to = NULL,
    reason = NULL WHERE name = 'two'"
start_daemon
ctl wait two --phase seeding --timeout 3s >/dev/null 2>"$T/err" &
wpid=$!
sleep 0.5
stop_daemon
wait $wpid
expect_eq "away at the timeout: 3" 3 $?
expect_match "says so" "still away after the timeout" "$(cat "$T/err")"
"$BIN/migratectl" -s "$T/nosuch.sock" wait two --done >/dev/null 2>&1
expect_eq "never there: 3" 3 $?

finish
