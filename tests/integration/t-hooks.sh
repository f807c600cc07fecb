# t-hooks: a failing before_ hook holds the phase (paused with its output);
# a hook past its timeout is killed, group and all; SIGTERM waits for a
# running hook to finish and journals its result.
. "$(dirname "$0")/lib.sh"

make_plan bad "[hooks]
before_preflight = echo 'db not ready' >&2; exit 3"
make_plan slow "[hooks]
before_preflight = sleep 29.9 & sleep 29.9
timeout = 1s"
sed -i 's/^port = 3306/port = 3307/' "$T/plans/slow.ini"
sed -i 's#^listener_arn = .*#listener_arn = arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/slow/50dc6c495c0c9188/f2f7dc8efc522ab3#' "$T/plans/slow.ini"
make_plan term "[hooks]
before_preflight = sleep 1; echo finished
timeout = 20s"
sed -i 's/^port = 3306/port = 3308/' "$T/plans/term.ini"
sed -i 's#^listener_arn = .*#listener_arn = arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/term/50dc6c495c0c9188/f2f7dc8efc522ab4#' "$T/plans/term.ini"

start_daemon
for p in bad slow term; do ctl create "$T/plans/$p.ini" >/dev/null; done

ctl start bad >/dev/null
ok "failing before hook pauses" wait_for 10 phase_is bad paused
reason=$(ctl --json status bad | jget migrations.0.reason)
expect_match "reason has exit code and output" "exit 3: db not ready" "$reason"

ctl start slow >/dev/null
ok "timed-out hook pauses" wait_for 10 phase_is slow paused
expect_match "timeout named" "timed out" \
    "$(ctl --json status slow | jget migrations.0.reason)"
ok "no sleep left behind" wait_for 5 sh -c "! pgrep -f '^slee[p] 29[.]9$' >/dev/null"

ctl start term >/dev/null
term_hook_running() { ctl --json status term | grep -q '"effect": *"hook'; }
ok "hook running" wait_for 5 term_hook_running
stop_daemon; expect_eq "SIGTERM exits 0 after the hook" 0 $?
expect_eq "the hook's result was journaled" 1 \
    "$(sqlite3 "$STATE" "select count(*) from effects e join migrations m on m.id=e.mig where m.name='term' and e.state='done'")"
expect_match "its output in the journal" "finished" \
    "$(sqlite3 "$STATE" "select result from effects e join migrations m on m.id=e.mig where m.name='term'")"
finish
