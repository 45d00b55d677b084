#!/usr/bin/env python3
"""A webhook receiver for restorecheck's notification tests: records what it is sent.

    webhook-receiver.py LOG_FILE MODE_FILE [PORT]

Listens on 127.0.0.1 (PORT, or a free port) and prints the port on stdout's first line. For each
POST it reads MODE_FILE (missing: "ok") and:

    ok     appends {"answered": true, "headers": {...}, "body": "..."} to LOG_FILE, answers 200
    down   answers 503 and records nothing
    hang   appends the request with "answered": false, then holds the connection open, without an
           answer, until MODE_FILE says something else (then closes it without answering)

Each line is written and fsynced before the answer, so a test that saw the answer sees the line.
"""
import http.server
import json
import os
import sys
import threading
import time

log_file, mode_file = sys.argv[1], sys.argv[2]
port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
lock = threading.Lock()


def mode():
    try:
        with open(mode_file) as f:
            return f.read().strip() or "ok"
    except FileNotFoundError:
        return "ok"


def record(handler, body, answered):
    line = json.dumps({
        "answered": answered,
        "path": handler.path,
        "headers": {k.lower(): v for k, v in handler.headers.items()},
        "body": body.decode("utf-8", "replace"),
    })
    with lock, open(log_file, "a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        current = mode()
        if current == "down":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if current == "hang":
            record(self, body, False)
            while mode() == "hang":
                time.sleep(0.05)
            self.close_connection = True
            return
        record(self, body, True)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
