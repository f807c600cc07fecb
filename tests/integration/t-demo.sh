# t-demo: `make demo` as a person sees it in a terminal. demo.sh runs under
# a pty (script(1)), so migratectl draws its live `status --watch` screen:
# it must show the migration from create to done, every phase in order,
# and then the summary.
. "$(dirname "$0")/lib.sh"

OUT=$T/demo.out
MIGRATED_BIN=$BIN script -qfec "bash '$TOP/tests/integration/demo.sh'" \
    "$OUT" </dev/null >/dev/null 2>&1
expect_eq "demo exits 0" 0 $?
# The screen, without its escape sequences and carriage returns.
sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' -e 's/\r//g' "$OUT" > "$T/screen"
ok "the live screen was drawn" grep -q "migratectl status --watch" \
    "$T/screen"
# The first line each phase was shown on, in the order of the phases.
last=0 order=ok
for ph in planned preflight seeding replicating shadow shifting ready cutover \
    full_traffic soak decommission done; do
	n=$(grep -n -m1 "^shop: $ph," "$T/screen" | cut -d: -f1)
	if [ -z "$n" ]; then order="phase $ph never shown"; break; fi
	if [ "$n" -le "$last" ]; then order="phase $ph shown out of order"
		break; fi
	last=$n
done
expect_eq "every phase shown live, in order" ok "$order"
n=$(grep -n -m1 "=== rehearsal summary ===" "$T/screen" | cut -d: -f1)
ok "the summary follows the live view" test "${n:-0}" -gt "$last"
expect_match "the summary says nothing was lost" "lost writes: 0" \
    "$(cat "$T/screen")"
finish
