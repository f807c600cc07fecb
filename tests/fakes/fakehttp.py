"""fakehttp.py: the HTTP plumbing the project's test endpoints share
(fakeaws.py, fakedo.py): a request handler that reads chunked or sized
bodies and answers with exact headers, and the loop that serves it on
loopback and tells the caller where.

Not run on its own; each fake imports it from its own folder (python3 puts a
script's folder first on sys.path). Only the standard library is used.
"""

import http.server
import json
import os
import signal
import sys
import threading
import time

# Headers of one hop, never relayed: reply() sets its own Content-Length.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade", "expect", "content-length"}


class Handler(http.server.BaseHTTPRequestHandler):
    """One request: its body read, then dispatch(body). A fake subclasses it
    with its server_version (the prefix of its log lines) and dispatch."""
    protocol_version = "HTTP/1.1"
    json_type = "application/json"
    fake = None          # the fake's state, set by its main()
    verbose = False

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("%s: %s\n" % (self.server_version, fmt % args))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = \
        lambda self: self.handle_one()

    def handle_one(self):
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        self.dispatch(body)

    def dispatch(self, body):
        raise NotImplementedError

    def clock(self):
        """The time of the Date header."""
        return time.time()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def reply(self, status, headers, body):
        """Answer with these headers (but for hop-by-hop ones and Date, which
        are this server's) and body."""
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP and name.lower() != "date":
                self.send_header(name, value)
        self.send_header("Date", self.date_time_string(self.clock()))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def json_answer(self, obj, headers=()):
        """(headers, body) of a JSON answer: obj indented, no body for None."""
        if obj is None:
            return list(headers), b""
        return (list(headers) + [("Content-Type", self.json_type)],
                (json.dumps(obj, indent=1) + "\n").encode())

    def reply_json(self, status, obj, headers=()):
        self.reply(status, *self.json_answer(obj, headers))


def serve(handler, port, env_lines, env_file=None):
    """Serve handler on 127.0.0.1:port (0: a free one) until SIGTERM or
    SIGINT. Once listening, env_lines(port) (NAME=value lines, for a shell
    to source) goes to stdout and, whole or not at all, to env_file."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    lines = env_lines(server.server_address[1])
    if env_file:
        tmp = env_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(lines)
        os.rename(tmp, env_file)
    sys.stdout.write(lines)
    sys.stdout.flush()
    server.serve_forever()
    server.server_close()
