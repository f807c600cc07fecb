# t-notify: the systemd notify protocol, against a datagram socket standing
# in for systemd: READY=1 once listening, STATUS= naming every migration,
# WATCHDOG=1 from the loop, STOPPING=1 on SIGTERM.
. "$(dirname "$0")/lib.sh"

python3 - "$T/notify.sock" "$T/notify.out" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(20)
with open(sys.argv[2], "a", buffering=1) as out:
    try:
        while True:
            msg = s.recv(4096).decode()
            out.write(msg.replace("\n", "|") + "\n")
            if "STOPPING=1" in msg:
                break
    except socket.timeout:
        pass
PY
lpid=$!
wait_for 5 test -S "$T/notify.sock"
write_config
make_plan shop
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=300000 "$BIN/migrated" \
    --config "$T/migrated.conf" >>"$LOG" 2>&1 &
DPID=$!
ok "READY=1" wait_for 10 grep -q "READY=1" "$T/notify.out"
ok "answers after READY" ctl list
ctl create "$T/plans/shop.ini" >/dev/null
ok "STATUS names the migration" wait_for 5 grep -q "STATUS=1 migration: shop planned" "$T/notify.out"
ok "WATCHDOG=1 from the loop" wait_for 5 grep -q "WATCHDOG=1" "$T/notify.out"
kill -TERM "$DPID"; wait "$DPID"; expect_eq "exit 0" 0 $?; DPID=
ok "STOPPING=1" wait_for 5 grep -q "STOPPING=1" "$T/notify.out"
wait "$lpid" 2>/dev/null
finish
