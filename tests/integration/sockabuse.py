#!/usr/bin/env python3
"""sockabuse: misbehaving control clients, against a live migrated.

Usage: sockabuse.py SOCKET ROUNDS. Each round sends malformed JSON, an
unknown command, a wrong version, an oversized line, 500 clients at once,
clients that leave mid-reply and watchers that vanish, while one idle client
sits connected. Every well-formed question must get its error reply; the
script exits non-zero on the first surprise.
"""
import json
import socket
import sys
import time

path, rounds = sys.argv[1], int(sys.argv[2])


def conn():
    # A full listen backlog answers EAGAIN; a real client tries again.
    for _ in range(1000):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            time.sleep(0.005)
    sys.exit("connect: backlog stayed full for 5 s")


def readline(s):
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def ask(raw):
    s = conn()
    s.sendall(raw)
    line = readline(s)
    s.close()
    return json.loads(line)


def expect_error(raw, code):
    r = ask(raw)
    if r.get("ok") is not False or r["error"]["code"] != code:
        sys.exit("expected %s for %r, got %r" % (code, raw[:60], r))
    if not r["error"]["message"]:
        sys.exit("empty message for %s" % code)


idle = conn()   # connects and never sends
for _ in range(rounds):
    expect_error(b"this is not json\n", "bad_request")
    expect_error(b"[1,2,3]\n", "bad_request")
    expect_error(b'{"v":1,"id":3,"cmd":"frobnicate"}\n', "unknown_command")
    expect_error(b'{"v":2,"id":4,"cmd":"list"}\n', "version")
    expect_error(b'{"v":1,"id":5,"cmd":"status","args":{"name":7}}\n', "usage")
    expect_error(b'{"v":1,"id":6,"cmd":"status","args":{"name":"nope"}}\n',
                 "not_found")

    # An oversized line: an error reply, then the daemon hangs up.
    s = conn()
    try:
        s.sendall(b'{"v":1,"id":9,"cmd":"list","args":{"x":"' +
                  b"a" * 70000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = json.loads(readline(s))
    if r["error"]["code"] != "too_large":
        sys.exit("oversized line: %r" % r)
    s.close()

    # 500 clients at once, each asking for status.
    many = [conn() for _ in range(500)]
    for i, s in enumerate(many):
        s.sendall(json.dumps({"v": 1, "id": i, "cmd": "status"}).encode()
                  + b"\n")
    for i, s in enumerate(many):
        r = json.loads(readline(s))
        if r.get("id") != i or r.get("ok") is not True:
            sys.exit("client %d got %r" % (i, r))
        s.close()

    # Clients that leave before their reply, and watchers that vanish.
    for i in range(200):
        s = conn()
        cmd = {"v": 1, "id": i, "cmd": "status"}
        if i % 2:
            cmd["args"] = {"watch": True}
        s.sendall(json.dumps(cmd).encode() + b"\n")
        s.close()

    # Several requests in one write, answered in order.
    s = conn()
    s.sendall(b"".join(json.dumps({"v": 1, "id": k, "cmd": "list"}).encode()
                       + b"\n" for k in range(10)))
    got = []
    buf = b""
    while len(got) < 10:
        buf += s.recv(65536)
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            got.append(json.loads(line)["id"])
    if got != list(range(10)):
        sys.exit("pipelined replies out of order: %r" % got)
    s.close()

# The idle client is still connected and still served.
idle.sendall(b'{"v":1,"id":42,"cmd":"list"}\n')
r = json.loads(readline(idle))
if r.get("id") != 42 or not r.get("ok"):
    sys.exit("idle client: %r" % r)
idle.close()
print("sockabuse: %d rounds ok" % rounds)
