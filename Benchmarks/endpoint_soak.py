#!/usr/bin/env python3
"""Soak test of a running `restorecheck serve`: does the daemon survive hostile clients and reloads?

One real daemon (release build) on loopback with TLS and bcrypt basic auth, two targets tested every
20 s, and for --seconds: 12 client threads opening connections that send garbage, half a TLS
ClientHello, plain HTTP to the TLS port, wrong or malformed credentials, a 200 kB header, a
header cut off mid-line, an RST instead of a close, or a correct gzip scrape; plus SIGHUP every
1.5 s. At the end the daemon must still answer a correct scrape, must have recorded passing tests,
and must exit 0 on SIGTERM. Prints what each kind of client saw. Not part of `make test` (it is a
soak, minutes long); `make soak` runs it.

usage: endpoint_soak.py [--seconds 90]
"""
import argparse
import base64
import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build/release/restorecheck")
WORK = "/dev/shm/restorecheck-soak" if os.path.isdir("/dev/shm") else "/tmp/restorecheck-soak"

parser = argparse.ArgumentParser()
parser.add_argument("--seconds", type=float, default=90)
args = parser.parse_args()


def sh(command):
    subprocess.run(command, shell=True, check=True, cwd=WORK, executable="/bin/bash",
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(f"{WORK}/src/docs")
    sh("""
        key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
        key ca.key && openssl req -x509 -new -key ca.key -out ca.crt -days 2 -subj /CN=soak-ca
        key server.key && openssl req -new -key server.key -out server.csr -subj /CN=127.0.0.1
        printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext
        for i in $(seq 1 200); do head -c $((RANDOM * 4)) /dev/urandom > src/docs/f$i.bin; done
        (cd src && tar -czf ../set.tar.gz docs && zip -qr ../set.zip docs && find docs -type f -exec sha256sum {} + > ../manifest)
        cp manifest set.tar.gz.sha256 && cp manifest set.zip.sha256
    """)
    password_hash = subprocess.run(["htpasswd", "-nbBC", "10", "prom", "soak pass"], check=True, capture_output=True,
                                   text=True).stdout.strip().split(":", 1)[1]
    with open(f"{WORK}/web.yml", "w") as f:
        f.write(f"tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                f"basic_auth_users:\n  prom: '{password_hash}'\n")
    with open(f"{WORK}/restorecheck.yaml", "w") as f:
        f.write(f"scratch_dir: {WORK}/scratch\nstate_dir: {WORK}/state\n"
                "defaults: { rpo: 1d, rto: 1h, every: 20s, jitter: 0s, sample: { files: 5 } }\n"
                "targets:\n"
                "  - { name: gz, tenant: soak, archives: set.tar.gz, manifest: \"{archive}.sha256\" }\n"
                "  - { name: zip, tenant: soak, archives: set.zip, manifest: \"{archive}.sha256\" }\n")
    os.makedirs(f"{WORK}/scratch")


GOOD = b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nAuthorization: Basic " + \
    base64.b64encode(b"prom:soak pass") + b"\r\n\r\n"


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} missing: run `swift build -c release` (make soak does)")
    prepare()
    port = free_port()
    log = open(f"{WORK}/daemon.log", "w")
    daemon = subprocess.Popen([BIN, "serve", "--config", "restorecheck.yaml", "--web.listen-address", f"127.0.0.1:{port}",
                               "--web.config.file", "web.yml"], cwd=WORK, stdout=log, stderr=subprocess.STDOUT)
    context = ssl.create_default_context(cafile=f"{WORK}/ca.crt")

    def scrape():
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(GOOD)
                return tls.recv(64)

    deadline = time.time() + 10
    while True:
        try:
            scrape()
            break
        except OSError:
            if time.time() > deadline or daemon.poll() is not None:
                sys.exit(f"daemon did not come up; see {WORK}/daemon.log")
            time.sleep(0.2)

    stop = time.time() + args.seconds
    seen, lock = {}, threading.Lock()

    def record(kind, outcome):
        with lock:
            seen.setdefault(kind, {}).setdefault(outcome, 0)
            seen[kind][outcome] += 1

    def client(seed):
        rnd = random.Random(seed)
        while time.time() < stop:
            kind = rnd.choice(["garbage", "half-hello", "plain-http", "bad-auth", "cut-header", "rst", "huge-header", "good"])
            try:
                raw = socket.create_connection(("127.0.0.1", port), timeout=5)
                if kind == "garbage":
                    raw.sendall(os.urandom(rnd.randint(1, 5000)))
                elif kind == "half-hello":
                    raw.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(20))
                elif kind == "plain-http":
                    raw.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                elif kind == "rst":  # connect, then abort with an RST instead of a FIN
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    raw.close()
                    record(kind, "sent RST")
                    continue
                else:
                    raw = context.wrap_socket(raw, server_hostname="127.0.0.1")
                    if kind == "bad-auth":
                        credential = rnd.choice([b"cHJvbTp3cm9uZw==", b"eDp5", b"!!!", b""])
                        raw.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + credential + b"\r\n\r\n")
                    elif kind == "cut-header":
                        raw.sendall(b"GET /metrics HTTP/1.1\r\nHo")
                        time.sleep(rnd.random())
                    elif kind == "huge-header":
                        raw.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 200_000 + b"\r\n\r\n")
                    else:
                        raw.sendall(GOOD)
                raw.settimeout(15)  # longer than the daemon's 10 s request-head timeout
                try:
                    answer = raw.recv(64)
                    if not answer:
                        record(kind, "closed by daemon")
                    elif answer[0] == 0x15:
                        record(kind, "TLS alert")
                    else:
                        record(kind, answer.split(b"\r\n")[0].decode(errors="replace"))
                except (OSError, ssl.SSLError) as error:
                    record(kind, type(error).__name__)
                raw.close()
            except (OSError, ssl.SSLError) as error:
                record(kind, type(error).__name__)

    def reloads():
        while time.time() < stop:
            time.sleep(1.5)
            daemon.send_signal(signal.SIGHUP)

    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(12)] + [threading.Thread(target=reloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    failures = []
    if daemon.poll() is not None:
        failures.append(f"daemon died with {daemon.returncode}")
    else:
        first_line = scrape().split(b"\r\n")[0]
        if first_line != b"HTTP/1.1 200 OK":
            failures.append(f"final scrape answered {first_line!r}")
    status = subprocess.run([BIN, "status", "--config", "restorecheck.yaml"], cwd=WORK, capture_output=True, text=True)
    if status.stdout.count(" passed ") != 2:
        failures.append(f"expected both targets passed in `status`:\n{status.stdout}{status.stderr}")
    daemon.send_signal(signal.SIGTERM)
    try:
        code = daemon.wait(30)
        if code != 0:
            failures.append(f"exit code {code} after SIGTERM")
    except subprocess.TimeoutExpired:
        daemon.kill()
        failures.append("no exit within 30 s of SIGTERM")

    print(f"soak: {args.seconds:.0f} s, 12 hostile/honest clients, SIGHUP every 1.5 s, tests every 20 s")
    for kind in sorted(seen):
        print(f"  {kind:12} " + ", ".join(f"{outcome}: {count}" for outcome, count in sorted(seen[kind].items())))
    if failures:
        sys.exit("soak FAILED (log: " + f"{WORK}/daemon.log):\n  " + "\n  ".join(failures))
    print("soak passed: daemon alive throughout, final scrape 200, tests recorded, clean exit")
    shutil.rmtree(WORK, ignore_errors=True)


main()
