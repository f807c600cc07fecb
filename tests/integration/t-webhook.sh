# t-webhook: the plan's notify.webhook_url gets one Slack-compatible
# message per event, in order, and exactly the expected ones: start,
# preflight failing, retry, abort, rolled back. A receiver answering 500
# gets the same message again (no more than three tries); one that never
# answers well gets a journaled warning and the next message still goes.
. "$(dirname "$0")/lib.sh"

# The receiver: each POST body on a line of $T/hook.out; the first
# FAIL_FIRST requests are answered 500.
/usr/bin/python3 - "$T/hook.port" "$T/hook.out" "$T/hook.fail" <<'PY' &
import http.server, os, sys
port_file, out, fail_file = sys.argv[1:4]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = 0
        if os.path.exists(fail_file):
            n = int(open(fail_file).read() or 0)
        if n > 0:
            open(fail_file, "w").write(str(n - 1))
            self.send_response(500); self.end_headers()
            with open(out + ".refused", "a") as f:
                f.write(body.decode() + "\n")
            return
        with open(out, "a") as f:
            f.write(self.headers.get("Content-Type", "") + " " +
                body.decode() + "\n")
        self.send_response(200); self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
PY
RPID=$!
cleanup_more() { kill "$RPID" 2>/dev/null; wait "$RPID" 2>/dev/null; }
wait_for 10 test -s "$T/hook.port" || { fail "receiver did not start"; finish; }
URL=http://127.0.0.1:$(cat "$T/hook.port")/hooks/T000/B000/XXXX

make_plan shop "[notify]
webhook_url = $URL
timeout = 2s"
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
lines() { [ "$(wc -l < "$T/hook.out" 2>/dev/null || echo 0)" -ge "$1" ]; }
text() { sed -n "${1}p" "$T/hook.out" | cut -d' ' -f2- | jget text; }

ctl start shop >/dev/null
ok "start and preflight's end: two messages" wait_for 20 lines 2
expect_match "1: Slack JSON" '^application/json \{"text": ?"' \
    "$(sed -n 1p "$T/hook.out")"
expect_match "1: started" '^migrated: shop: planned -> preflight' "$(text 1)"
expect_match "2: failed, with the reason" \
    '^migrated: shop: FAILED in preflight: .*cannot reach STS' "$(text 2)"

# The receiver refuses twice: the message comes on the third try.
echo 2 > "$T/hook.fail"
ctl retry shop >/dev/null
ok "retry: delivered after two 500s" wait_for 20 lines 4
expect_eq "refused twice" 2 "$(wc -l < "$T/hook.out.refused")"
expect_match "3: retried" '^migrated: shop: failed -> preflight' "$(text 3)"
expect_match "4: failed again" '^migrated: shop: FAILED in preflight' "$(text 4)"

# Never delivered: a warning in the journal, and the next one still goes.
echo 3 > "$T/hook.fail"
ctl abort shop "test: no droplets today" >/dev/null
ok "rolled back" wait_for 20 phase_is shop rolled_back
ok "the next message still goes" wait_for 20 lines 5
ok "the lost one journaled" wait_for 5 sh -c \
    "'$BIN/migratectl' -s '$SOCK' history shop | grep -q 'webhook: a message could not be delivered (HTTP 500); dropped'"
expect_match "5: rolled back" '^migrated: shop: rolled back' "$(text 5)"
sleep 1
expect_eq "exactly five delivered" 5 "$(wc -l < "$T/hook.out")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
