# t-lifecycle: create, inspect, start, fail in preflight with a reason,
# retry, abort, roll back, delete; exit codes of migratectl; set.
. "$(dirname "$0")/lib.sh"

start_daemon
make_plan shop

ctl create "$T/plans/shop.ini" >/dev/null; ok "create" test $? -eq 0
expect_eq "phase after create" planned "$(phase_of shop)"
ctl create "$T/plans/shop.ini" >/dev/null 2>&1
expect_eq "create twice is refused" 1 $?
out=$(ctl create "$T/plans/shop.ini" 2>&1)
expect_match "exists error" "exists" "$out"

expect_eq "list shows it" shop "$(ctl --json list | jget migrations.0.name)"
out=$(ctl status shop)
expect_match "human status" "planned" "$out"
out=$(ctl --json plan shop)
expect_eq "plan: next event" start "$(echo "$out" | jget next.0.event)"
expect_eq "plan: six steps" 6 "$(echo "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["steps"]))')"

# Refused in this phase: exit 1 with wrong_phase.
ctl resume shop >/dev/null 2>&1; expect_eq "resume in planned" 1 $?
out=$(ctl --json promote shop 2>&1)
expect_match "promote in planned names the phase" "not possible in phase planned" "$out"
ctl status nosuch >/dev/null 2>&1; expect_eq "unknown name" 1 $?
ctl frobnicate >/dev/null 2>&1; expect_eq "unknown verb is usage" 2 $?
ctl start >/dev/null 2>&1; expect_eq "missing argument is usage" 2 $?
"$BIN/migratectl" -s "$T/nosuch.sock" list >/dev/null 2>&1
expect_eq "unreachable daemon" 3 $?

# set: a tunable changes, a non-tunable is refused.
ctl set shop gates.max_p99=800ms >/dev/null; ok "set tunable" test $? -eq 0
ctl set shop source.host=10.0.0.1 >/dev/null 2>&1
expect_eq "set identity refused" 1 $?
ctl set shop traffic.bake=soon >/dev/null 2>&1
expect_eq "set bad value refused" 1 $?

# start: preflight runs the local checks and says what is not built.
ctl start shop >/dev/null; ok "start" test $? -eq 0
ok "preflight ends in failed" wait_for 10 phase_is shop failed
reason=$(ctl --json status shop | jget migrations.0.reason)
expect_match "reason names what is missing" \
    "DigitalOcean: ListDroplets: ConnectionError" "$reason"
expect_eq "resume_to is preflight" preflight \
    "$(ctl --json status shop | jget migrations.0.resume_to)"

# A bad secret file is named in the reason.
chmod 644 "$T/secrets/src"
ctl retry shop >/dev/null; ok "retry" test $? -eq 0
ok "fails again" wait_for 10 phase_is shop failed
reason=$(ctl --json status shop | jget migrations.0.reason)
expect_match "secret mode named" "source.password_file.*chmod 600" "$reason"
chmod 600 "$T/secrets/src"

ctl abort shop "giving up" >/dev/null; ok "abort" test $? -eq 0
ok "rolled back" wait_for 10 phase_is shop rolled_back
ctl start shop >/dev/null 2>&1; expect_eq "nothing after rolled_back" 1 $?

hist=$(ctl history shop)
expect_match "history: transition" "planned -start-> preflight" "$hist"
expect_match "history: abort with uid and reason" "abort by uid [0-9]+: giving up" "$hist"
expect_match "history: set" "set gates.max_p99 = 800ms" "$hist"
n=$(ctl --json history shop -n 2 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
expect_eq "history -n 2" 2 "$n"

# Restart: everything is read back from the state file.
stop_daemon; expect_eq "clean exit on SIGTERM" 0 $?
start_daemon
expect_eq "phase survives restart" rolled_back "$(phase_of shop)"
expect_eq "override survives restart" 800 \
    "$(ctl --json status shop | jget migrations.0.gates.max_p99_ms.limit | cut -d. -f1)"

ctl delete shop >/dev/null; ok "delete" test $? -eq 0
expect_eq "gone" "[]" "$(ctl --json list | jget migrations)"

# A bad plan: every error as file:line.
printf '[traffic]\nbake = 5\nbogus = 1\n' > "$T/plans/bad.ini"
out=$(ctl create "$T/plans/bad.ini" 2>&1); rc=$?
expect_eq "bad plan refused" 1 $rc
expect_match "file:line for bad value" "bad.ini:2: " "$out"
expect_match "file:line for unknown key" "bad.ini:3: " "$out"
finish
