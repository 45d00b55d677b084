#!/usr/bin/env python3
"""The database's cost per fleet test (README "Fleet"): what the queue, the leases and the result
with its chain link cost PostgreSQL for each test, measured on real `serve` nodes.

Starts a throwaway PostgreSQL cluster (Debian's initdb/pg_ctl, unix socket only, fsync on) with
pg_stat_statements, makes TARGETS targets of tiny real tar archives (200 tenants), starts NODES
release `serve` nodes against it and waits until every target has one result. Then it reads
pg_stat_statements and prints, per test: statements (round trips, BEGIN and COMMIT included), the
server's execution time, and the same split into the queue (plan, claim, renew, reap), the result
(run rows, findings, chain, breach ledger, job end) and the rest (heartbeats, metrics refresh). It
also prints the fleet's throughput and checks that every target has exactly one result and that
the chain verifies.

  python3 Benchmarks/fleet_queue_bench.py [--targets 2000] [--nodes 3]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fleet_db_bench import BINARY, start_cluster  # noqa: E402

AS_USER = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []


def psql(directory, sql):
    result = subprocess.run(AS_USER + ["psql", "-h", directory, "-U", "postgres", "-d", "fleet", "-At", "-F", "\t", "-c", sql],
                            check=True, capture_output=True, text=True)
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def restart_with_statements(directory):
    binaries = sorted(__import__("glob").glob("/usr/lib/postgresql/*/bin"))[-1]
    with open(f"{directory}/data/postgresql.conf", "a") as conf:
        conf.write("shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track_utility = on\n")
    subprocess.run(AS_USER + [f"{binaries}/pg_ctl", "-D", f"{directory}/data", "-w", "-l", f"{directory}/log", "restart"],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    psql(directory, "CREATE EXTENSION pg_stat_statements")


def free_port():
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_backup(work):
    """One tiny real tar archive and its manifest, which every target reads."""
    data = os.path.join(work, "data")
    os.makedirs(data)
    with open(os.path.join(data, "a.txt"), "w") as handle:
        handle.write("restorecheck fleet bench\n" * 40)
    archive = os.path.join(work, "tiny.tar")
    subprocess.run(["tar", "-cf", archive, "-C", data, "a.txt"], check=True)
    digest = subprocess.run(["sha256sum", "a.txt"], cwd=data, check=True, capture_output=True, text=True).stdout
    with open(archive + ".sha256", "w") as handle:
        handle.write(digest)
    return archive


CATEGORIES = [
    # (name, substrings of the normalised statement text), first match wins.
    ("result", ["UPDATE run SET status", "INSERT INTO finding", "chain_head", "UPDATE run SET chain_seq", "FROM finding WHERE run_id",
                "SELECT * FROM run WHERE id", "fleet_job SET state = 'done'", "fleet_attempt SET ended", "breach_open", "watched_target",
                "INSERT INTO outbox", "pg_advisory_xact_lock", "FROM run WHERE target", "INSERT INTO run"]),
    ("queue", ["fleet_job", "fleet_attempt", "fleet_planner", "pg_try_advisory_lock", "hashtext"]),
    ("other", [""]),
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--max-concurrent", type=int, default=2)
    args = parser.parse_args()
    if not os.path.exists(BINARY):
        sys.exit("build the release binary first (make release)")
    work = tempfile.mkdtemp(prefix="rc-fleet-queue-bench-")
    os.chmod(work, 0o755)
    cluster = os.path.join(work, "pg")
    start_cluster(cluster)
    nodes = []
    try:
        restart_with_statements(cluster)
        archive = make_backup(work)
        targets = "\n".join(
            f'  - {{ name: t{i:05d}, tenant: tenant{i % 200:03d}, archives: {archive}, manifest: "{{archive}}.sha256" }}'
            for i in range(args.targets))
        configs = []
        for n in range(args.nodes):
            path = os.path.join(work, f"node{n}.yaml")
            with open(path, "w") as handle:
                handle.write(f"""scratch_dir: {work}/scratch{n}
state_dir: {work}/state{n}
defaults: {{ rpo: 26h, rto: 4h, every: 24h, jitter: 0s, sample: {{ files: all }} }}
targets:
{targets}
history:
  postgresql: {{ url: "postgresql://postgres@/fleet?host={cluster}" }}
fleet: {{ lease: 1m, max_concurrent: {args.max_concurrent}, per_tenant: 2 }}
""")
            configs.append(path)
        # The schema first (one migration), then the statistics from zero.
        subprocess.run([BINARY, "fleet", "status", "--config", configs[0]], capture_output=True)
        psql(cluster, "SELECT pg_stat_statements_reset()")
        started = time.perf_counter()
        for n, config in enumerate(configs):
            log = open(os.path.join(work, f"node{n}.log"), "w")
            nodes.append(subprocess.Popen([BINARY, "serve", "--config", config, "--node", f"node-{n}",
                                           "--web.listen-address", f"127.0.0.1:{free_port()}"], stdout=log, stderr=log))
        deadline = time.time() + 3600
        finished = 0
        while time.time() < deadline:
            finished = int(psql(cluster, "SELECT count(*) FROM restorecheck.run WHERE status IN ('passed','failed','error')")[0][0])
            if finished >= args.targets:
                break
            if any(node.poll() is not None for node in nodes):
                sys.exit("a node exited: see " + work)
            time.sleep(1)
        wall = time.perf_counter() - started
        for node in nodes:
            node.terminate()
        for node in nodes:
            node.wait(timeout=60)
        rows = psql(cluster, """SELECT regexp_replace(s.query, '\s+', ' ', 'g'), s.calls, s.total_exec_time FROM pg_stat_statements s
                                JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'fleet'""")
        per_target = psql(cluster, """SELECT count(*) FILTER (WHERE status = 'passed'), count(DISTINCT target),
                                      count(*) FILTER (WHERE status NOT IN ('passed','aborted')) FROM restorecheck.run""")[0]
        verify = subprocess.run([BINARY, "evidence", "verify", "--config", configs[0]], capture_output=True, text=True)
        totals = {name: [0, 0.0] for name, _ in CATEGORIES}
        for query, calls, exec_ms in rows:
            for name, needles in CATEGORIES:
                if any(needle in query for needle in needles):
                    totals[name][0] += int(calls)
                    totals[name][1] += float(exec_ms)
                    break
        # BEGIN/COMMIT/ROLLBACK belong to the transactions above; counted once, in "other".
        tests = max(finished, 1)
        print(f"fleet queue bench: {args.targets} targets of a tiny tar, 200 tenants, {args.nodes} nodes "
              f"x max_concurrent {args.max_concurrent}, per_tenant 2, lease 1m")
        print(f"  {finished} tests in {wall:.1f} s: {finished / wall:.1f} tests/s")
        print(f"  results: {per_target[0]} passed over {per_target[1]} targets, {per_target[2]} other finished; "
              f"evidence verify exit {verify.returncode}")
        print("  | part | statements per test | server time per test (ms) |")
        print("  |---|---|---|")
        for name, _ in CATEGORIES:
            calls, exec_ms = totals[name]
            print(f"  | {name} | {calls / tests:.1f} | {exec_ms / tests:.2f} |")
        all_calls = sum(v[0] for v in totals.values())
        all_ms = sum(v[1] for v in totals.values())
        print(f"  | all | {all_calls / tests:.1f} | {all_ms / tests:.2f} |")
        print(json.dumps({"tests": finished, "wall_s": round(wall, 1), "statements_per_test": round(all_calls / tests, 1),
                          "server_ms_per_test": round(all_ms / tests, 2),
                          "parts": {k: {"statements": round(v[0] / tests, 1), "ms": round(v[1] / tests, 2)} for k, v in totals.items()}}))
        if int(per_target[0]) != args.targets or int(per_target[1]) != args.targets or verify.returncode != 0:
            sys.exit(f"not one passed result per target, or the chain does not verify: {per_target} {verify.stdout[-300:]}")
    finally:
        for node in nodes:
            if node.poll() is None:
                node.kill()
        binaries = sorted(__import__("glob").glob("/usr/lib/postgresql/*/bin"))[-1]
        subprocess.run(AS_USER + [f"{binaries}/pg_ctl", "-D", f"{cluster}/data", "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
