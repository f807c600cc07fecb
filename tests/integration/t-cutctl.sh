# t-cutctl: the control points before the cutover, against the AWS fault
# endpoint and the real MariaDB pair with the writer load. With
# cutover.approval = required the migration, its last step baked, waits in
# ready (status, journal and one webhook message say so), keeps waiting
# through a kill -9 and a restart, and goes on after `approve`; a
# cutover.window set at run time to open a few seconds later holds the
# approved cutover until it opens. A window that does not parse is refused
# at create with file:line.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"

# The webhook receiver: each POST body on a line of $T/hook.out.
/usr/bin/python3 - "$T/hook.port" "$T/hook.out" <<'PY' &
import http.server, sys
port_file, out = sys.argv[1:3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(out, "a") as f:
            f.write(body.decode() + "\n")
        self.send_response(200); self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
RPID=$!
eval "cutctl_next_cleanup() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() {
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	cutctl_next_cleanup
}
wait_for 10 test -s "$T/hook.port" || { fail "receiver did not start"; finish; }

aws_start
aws_fixture
db_start
aws_plan shop
aws_gates_plan "$T/plans/shop.ini" 200ms 2s 2s
# Per bake: 2000 requests a minute bring about 6 to ECS in 2 s at 10 %.
sed -i 's/^min_requests = .*/min_requests = 5/' "$T/plans/shop.ini"
sed -i "s|^writer = hook\$|writer = hook\\
approval = required|" "$T/plans/shop.ini"
cat >> "$T/plans/shop.ini" <<PLAN
[notify]
webhook_url = http://127.0.0.1:$(cat "$T/hook.port")/hooks/T000/B000/XXXX
PLAN

# A window that does not parse: refused at create, with file:line.
sed "s|^approval = required\$|approval = required\\
window = Mon-Fry 02:00-05:00 Europe/Berlin|" "$T/plans/shop.ini" \
    > "$T/plans/bad.ini"
start_daemon
out=$(ctl create "$T/plans/bad.ini" 2>&1)
expect_eq "bad window: refused" 1 $?
line=$(grep -n '^window = ' "$T/plans/bad.ini" | cut -d: -f1)
expect_match "bad window: file:line and the word" \
    "bad.ini:$line: .*\"Mon-Fry\" is neither days" "$out"

metrics 0 0.2 0 0.2
fake POST /_fake/ecs-service '{"cluster":"shop","service":"web",
    "rolloutState":"COMPLETED","runningCount":2,"pendingCount":0}'
writer_start 200
ctl create "$T/plans/shop.ini" >/dev/null
inject seeding
start_daemon

ready_json() { ctl --json status shop | jget "migrations.0.ready.$1"; }
progress() { ctl --json status shop | jget migrations.0.progress; }
waits_for() { [ "$(ready_json waiting_for)" = "$1" ]; }
hook_has() { grep -q -- "$1" "$T/hook.out" 2>/dev/null; }

# 1. The last step baked: ready, waiting for approval, weights kept.
ok "the last step baked: ready" wait_for 120 history_has 'shifting -> ready'
ok "ready: waits for approval" wait_for 10 waits_for '["approval"]'
expect_match "ready: progress says what it waits for" \
    "waiting for approval \(migratectl approve shop\)" "$(progress)"
out=$(ctl status shop)
expect_match "ready: human status" "ready: +approval required, window any time" "$out"
expect_match "ready: human status, waiting" "waiting: +approval" "$out"
expect_match "ready: approve is accepted" '"approve"' \
    "$(ctl --json status shop | jget migrations.0.accepts)"
ok "ready: journaled" history_has 'ready: waiting for approval'
ok "ready: one webhook message" wait_for 10 hook_has \
    'shop: shifting -> ready: waiting for approval (migratectl approve shop)'
expect_eq "ready: the last step's weights stay" "50 50" "$(weights)"

# 2. A kill -9 while waiting: the restart waits again, it does not cut
# over. (Six gate polls at least pass meanwhile.)
kill9_daemon
start_daemon
ok "restart: still waiting for approval" wait_for 10 sh -c \
    "'$BIN/migratectl' -s '$SOCK' --json status shop | grep -q 'waiting for approval'"
sleep 2
expect_eq "restart: no cutover without approval" 0 \
    "$(journal | grep -c 'ready -> cutover')"
expect_eq "restart: still ready" ready "$(phase_of shop)"
expect_eq "restart: one webhook message only" 1 \
    "$(grep -c 'waiting for approval' "$T/hook.out")"

# 3. A window opening three seconds from now, then the approval: the
# cutover waits for the window, and begins once it opens.
open_at=$(( $(date +%s) + 3 ))
open=$(date -u -d "@$open_at" +%H:%M:%S)
close=$(date -u -d "@$(( open_at + 600 ))" +%H:%M:%S)
ctl set shop "cutover.window=$open-$close UTC" >/dev/null
ok "window set at run time" test $? -eq 0
ctl approve shop >/dev/null; ok "approve" test $? -eq 0
ok "approved, waits for the window" wait_for 5 waits_for '["window"]'
expect_match "status: when the window opens" \
    "$(date -u -d "@$open_at" '+%Y-%m-%d %H:%M:%S') UTC" \
    "$(ready_json window_opens.utc)"
expect_eq "approve journaled" 1 "$(journal | grep -c 'ready -> ready')"
ok "approve: webhook" wait_for 10 hook_has 'shop: cutover approved'
ok "the window opens: cutover" wait_for 30 history_has 'ready -> cutover'
cut_ms=$(sqlite3 "$STATE" "SELECT ts FROM journal WHERE from_phase = 'ready'
    AND to_phase = 'cutover'")
ok "the cutover began once the window was open" \
    test "$cut_ms" -ge $(( open_at * 1000 ))
ok "writer switched" wait_for 60 history_has 'cutover -> full_traffic'
expect_eq "the approval is used up by the cutover" no \
    "$(ctl status shop | awk '/^approved:/ { print $2 }')"

writer_stop
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
