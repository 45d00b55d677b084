#!/usr/bin/env python3
"""A counting, fault-injecting HTTP proxy in front of a real S3 server, for restorecheck's tests.

    s3-fault-proxy.py UPSTREAM_PORT STATS_FILE FAULTS_JSON

Listens on 127.0.0.1 on a free port and prints it on stdout's first line. Every request is
forwarded unchanged (the Host header included, so SigV4 signatures still verify upstream). After
each request (and before each body chunk is sent), STATS_FILE holds {"requests": n, "ranged_gets": n, "body_bytes": n} (written to a
temporary file, then renamed). FAULTS_JSON applies to ranged GETs, in order:

    {"fail": N}              the first N answer 503 SlowDown
    {"fail_from": N}         the N-th and every later one answers 503 (a store gone mid-stream)
    {"reset_after": B}       the next one sends B body bytes, then resets the connection
    {"stall_after": B, "stall_seconds": S}  the next one sends B bytes, then nothing for S seconds
    {"truncate_after": B}    the next one sends B bytes and closes (a short body, no reset)
    {"replace": [SRC, DST]}  before the second is forwarded, SRC is copied over DST (the object
                             replaced mid-test: the first read sees the old object, the rest the new)
    {"whole_object": true}   the Range header is dropped: the server answers 200 with everything
"""
import http.client
import http.server
import json
import os
import shutil
import socket
import struct
import sys
import threading
import time

upstream_port = int(sys.argv[1])
stats_file = sys.argv[2]
faults = json.loads(sys.argv[3])
lock = threading.Lock()
stats = {"requests": 0, "ranged_gets": 0, "body_bytes": 0}


def save():
    tmp = stats_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(stats, f)
    os.replace(tmp, stats_file)


def take(name):
    """Consumes one use of a one-shot fault (or one of N for 'fail')."""
    with lock:
        if name == "fail":
            if faults.get("fail", 0) > 0:
                faults["fail"] -= 1
                return True
            return False
        return faults.pop(name, None)


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        ranged = self.command == "GET" and "Range" in self.headers
        with lock:
            stats["requests"] += 1
            stats["ranged_gets"] += 1 if ranged else 0
        if ranged and (take("fail") or stats["ranged_gets"] >= faults.get("fail_from", 1 << 60)):
            body = b"<Error><Code>SlowDown</Code><Message>injected 503</Message></Error>"
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            with lock:
                save()
            return
        if ranged and stats["ranged_gets"] >= 2:
            replace = take("replace")
            if replace:
                shutil.copyfile(replace[0], replace[1] + ".replacing")
                os.replace(replace[1] + ".replacing", replace[1])
        headers = {k: v for k, v in self.headers.items()}
        if ranged and faults.get("whole_object"):
            headers.pop("Range", None)
        length = int(self.headers.get("Content-Length", 0) or 0)
        body = self.rfile.read(length) if length else None
        connection = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
        connection.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            connection.putheader(k, v)
        connection.endheaders(body)
        response = connection.getresponse()
        reset = take("reset_after") if ranged else None
        stall = take("stall_after") if ranged else None
        truncate = take("truncate_after") if ranged else None
        self.send_response_only(response.status, response.reason)
        for k, v in response.getheaders():
            if k.lower() not in ("connection", "transfer-encoding"):
                self.send_header(k, v)
        if response.getheader("Content-Length") is None and self.command != "HEAD":
            self.send_header("Transfer-Encoding", "chunked")
            chunked = True
        else:
            chunked = False
        self.end_headers()
        sent = 0
        limit = next((x for x in (reset, stall, truncate) if x is not None), None)
        while self.command != "HEAD":
            chunk = response.read(65536)
            if not chunk:
                break
            if limit is not None and sent + len(chunk) > limit:
                chunk = chunk[: max(0, limit - sent)]
                self.count(chunk)
                self.write(chunk, chunked)
                sent += len(chunk)
                self.wfile.flush()
                if stall is not None:
                    time.sleep(faults.get("stall_seconds", 60))
                if reset is not None:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            self.count(chunk)
            self.write(chunk, chunked)
            sent += len(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        connection.close()

    def count(self, chunk):
        # Counted before it is sent: a client that has the bytes finds them in the stats already
        # (counted after the response, a test that read the stats at once could miss the last
        # request's bytes: seen once in CI).
        with lock:
            stats["body_bytes"] += len(chunk)
            save()

    def write(self, chunk, chunked):
        if chunked:
            self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        else:
            self.wfile.write(chunk)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
server.daemon_threads = True
save()
print(server.server_address[1], flush=True)
server.serve_forever()
