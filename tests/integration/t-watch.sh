# t-watch: `migratectl status NAME --watch` in a terminal, as `make demo`
# runs it: started before the migration exists, it says so and waits; it
# shows the migration from its creation on, redraws on each change, and
# ends (exit 1) when the migration is deleted. Run under a pty (script(1))
# so migratectl draws its live screen, not the log-style lines.
. "$(dirname "$0")/lib.sh"

start_daemon
make_plan shop
OUT=$T/watch.out
script -qfec "'$BIN/migratectl' -s '$SOCK' status shop --watch" "$OUT" \
    </dev/null >/dev/null 2>&1 &
WPID=$!
ok "a watch on a name not created yet waits" wait_for 5 \
    grep -q "shop: no such migration yet; waiting for it to be created" "$OUT"
ok "the live screen, not log lines" grep -q "migratectl status --watch" \
    "$OUT"
ok "still running" kill -0 "$WPID"
ctl create "$T/plans/shop.ini" >/dev/null
ok "shows the migration once created" wait_for 5 grep -q "shop: planned" \
    "$OUT"
# Without --watch, an unknown name is still an error.
expect_match "status of an unknown name" "no migration named ghost" \
    "$(ctl status ghost 2>&1)"
ctl delete shop >/dev/null
ok "ends when the migration is deleted" wait_for 5 sh -c "! kill -0 $WPID"
wait "$WPID"
expect_eq "exit 1 (refused)" 1 $?
ok "says why it ended" grep -q "migration shop was deleted" "$OUT"
stop_daemon
finish
