#!/usr/bin/env python3
"""Daemon-side benchmark: a generated config with 1,000 targets (with history for each), then
  - start-up: process start until /metrics answers (config parse, history load, series creation);
  - /metrics latency under wrk, 32 concurrent connections on loopback, gzip as Prometheus asks;
  - idle CPU of the daemon between tests (no test due for an hour).

usage: daemon_bench.py [--targets 1000] [--seconds 10]
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build/release/restorecheck")
WORK = "/dev/shm/restorecheck-daemon-bench"

parser = argparse.ArgumentParser()
parser.add_argument("--targets", type=int, default=1000)
parser.add_argument("--seconds", type=int, default=10)
args = parser.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(f"{WORK}/backups")
subprocess.run(f"cd {WORK} && mkdir src && echo x > src/f && (cd src && sha256sum f > ../backups/a.tar.sha256 && tar -cf ../backups/a.tar f)",
               shell=True, check=True)
lines = [f"scratch_dir: {WORK}/scratch", f"state_dir: {WORK}/state", "defaults: { rpo: 26h, rto: 4h, every: 1h, jitter: 30m }", "targets:"]
for i in range(args.targets):
    lines.append(f"  - {{ name: target-{i:04d}, tenant: tenant-{i % 50:02d}, archives: {WORK}/backups/a.tar, manifest: \"{{archive}}.sha256\" }}")
open(f"{WORK}/rc.yaml", "w").write("\n".join(lines) + "\n")
# History for every target, so start-up has something to load: one pass with the real verifier.
subprocess.run([BIN, "run", "--config", f"{WORK}/rc.yaml", "--json"], stdout=subprocess.DEVNULL, check=True)

port = free_port()
start = time.perf_counter()
daemon = subprocess.Popen([BIN, "serve", "--config", f"{WORK}/rc.yaml", "--web.listen-address", f"127.0.0.1:{port}"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while True:
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=1).read()
        break
    except OSError:
        time.sleep(0.005)
startup = time.perf_counter() - start
series = sum(1 for line in body.decode().splitlines() if line and not line.startswith("#"))

wrk = subprocess.run(["wrk", "-t2", "-c32", f"-d{args.seconds}s", "--latency", "-H", "Accept-Encoding: gzip",
                      f"http://127.0.0.1:{port}/metrics"], capture_output=True, text=True, check=True).stdout
p99 = re.search(r"^\s+99%\s+(\S+)", wrk, re.M).group(1)
p50 = re.search(r"^\s+50%\s+(\S+)", wrk, re.M).group(1)
rps = re.search(r"Requests/sec:\s+(\S+)", wrk).group(1)

time.sleep(1)
before = ticks(daemon.pid)
time.sleep(args.seconds)
idle_cpu = (ticks(daemon.pid) - before) / os.sysconf("SC_CLK_TCK") / args.seconds * 100
daemon.send_signal(signal.SIGTERM)
daemon.wait(timeout=30)

text = (f"daemon with {args.targets} targets ({series} series, {len(body) / 1024:.0f} KiB exposition)\n\n"
        f"| start-up until /metrics answers | /metrics p50 | /metrics p99 (wrk, 32 connections, gzip) | requests/s | idle CPU |\n"
        f"|---|---|---|---|---|\n"
        f"| {startup * 1000:.0f} ms | {p50} | {p99} | {rps} | {idle_cpu:.2f} % of a core |\n")
print(text)
with open(os.path.join(ROOT, ".bench/daemon-results.md"), "w") as f:
    f.write(text)
shutil.rmtree(WORK, ignore_errors=True)
