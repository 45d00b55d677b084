#!/usr/bin/env python3
"""The PostgreSQL history against the SQLite one, on the same large history (README "Fleet").

Builds a SQLite history of TARGETS x DAYS daily runs (Benchmarks/evidence_chain.py synthesize,
chained as restorecheck chains), starts a throwaway PostgreSQL cluster (Debian's initdb/pg_ctl,
unix socket only, fsync on), and measures with the release binary:
  - `history migrate`: the copy's wall time, runs per second, and that both chains end in one head;
  - the size of each history per million runs;
  - `status --json`, `check`, `evidence verify` and `report --format json` on each store: wall time,
    and that both stores give the same answers (status and check output byte for byte, the chain head);
  - `run` of one target whose archive is missing (an error at once): a result written with its chain
    link, then the outbox's sweep of every target (one transaction per target).

  python3 Benchmarks/fleet_db_bench.py [--targets 2000] [--days 90]
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.path.join(HERE, "..", ".build", "release", "restorecheck")


def run(command, **kwargs):
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - started, result


def median_wall(command, repeat=3, ok=(0,)):
    samples, result = [], None
    for _ in range(repeat):
        wall, result = run(command)
        if result.returncode not in ok:
            sys.exit(f"{' '.join(command)} failed ({result.returncode}): {result.stdout[-500:]} {result.stderr[-500:]}")
        samples.append(wall)
    return statistics.median(samples), result


def start_cluster(directory):
    """A cluster in `directory`, listening on a unix socket there only; as root, run as postgres."""
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
    as_user = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    os.makedirs(directory)
    if os.getuid() == 0:
        shutil.chown(directory, "postgres")
        os.chmod(os.path.dirname(directory), 0o755)
    subprocess.run(as_user + [f"{binaries}/initdb", "-D", f"{directory}/data", "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)
    subprocess.run(as_user + [f"{binaries}/pg_ctl", "-D", f"{directory}/data", "-w", "-l", f"{directory}/log",
                              "-o", f"-k {directory} -c listen_addresses=''", "start"],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    subprocess.run(as_user + [f"{binaries}/createdb", "-h", directory, "-U", "postgres", "fleet"], check=True, capture_output=True)

    def psql(sql):
        return subprocess.run(as_user + [f"{binaries}/psql", "-h", directory, "-U", "postgres", "-d", "fleet", "-At", "-c", sql],
                              check=True, capture_output=True, text=True).stdout.strip()

    def stop():
        subprocess.run(as_user + [f"{binaries}/pg_ctl", "-D", f"{directory}/data", "-w", "-m", "fast", "stop"], capture_output=True)
    return psql, stop


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="restorecheck-fleet-bench-")
    os.chmod(work, 0o755)
    stop = None
    try:
        targets = "".join(f"  - {{ name: t{i:03d}, tenant: bench, archives: {work}/none/t{i:03d}-*.tar.gz }}\n" for i in range(args.targets))
        head = f"scratch_dir: {work}/scratch\nstate_dir: {work}/state\ndefaults: {{ rpo: 26h, rto: 4h }}\ntargets:\n{targets}"
        sqlite_config = os.path.join(work, "sqlite.yaml")
        with open(sqlite_config, "w") as f:
            f.write(head)
        subprocess.run([BINARY, "run", "--config", sqlite_config, "t000"], capture_output=True)
        history = os.path.join(work, "state", "history.sqlite")
        subprocess.run([sys.executable, os.path.join(HERE, "evidence_chain.py"), "synthesize", history,
                        "--targets", str(args.targets), "--days", str(args.days)], check=True, capture_output=True)
        runs = args.targets * args.days + 1
        psql, stop = start_cluster(os.path.join(work, "pg"))
        url = f"postgresql://postgres@/fleet?host={work}/pg"
        pg_config = os.path.join(work, "pg.yaml")
        with open(pg_config, "w") as f:
            f.write(head + f"history:\n  postgresql: {{ url: \"{url}\" }}\n")
        print(f"\n== PostgreSQL history vs SQLite: {args.targets} targets x {args.days} days = {runs} runs, release build ==")
        wall, result = run([BINARY, "history", "migrate", "--config", sqlite_config, "--to", url])
        if result.returncode != 0:
            sys.exit(f"migrate failed: {result.stdout} {result.stderr}")
        print(f"history migrate      {wall:7.2f} s   {runs / wall:8.0f} runs/s   " + result.stdout.strip().splitlines()[-1])
        pg_bytes = int(psql("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = 'restorecheck' AND c.relkind = 'r'"))
        sqlite_bytes = sum(os.path.getsize(p) for p in glob.glob(history + "*"))
        per_million = 1_000_000 / runs / 2**30
        print(f"size per million runs: SQLite {sqlite_bytes * per_million:5.2f} GiB, PostgreSQL {pg_bytes * per_million:5.2f} GiB (tables, indexes, TOAST)")
        answers = {}
        print(f"{'':22}{'SQLite':>10}{'PostgreSQL':>12}")
        for name, command, ok in [
            ("status --json", ["status", "--json"], (0,)),
            ("check (all targets)", ["check"], (0, 1, 2)),
            ("evidence verify", ["evidence", "verify"], (0,)),
            ("report (json)", ["report", "--tenant", "bench", "--since", f"{args.days}d", "--format", "json"], (0,)),
        ]:
            walls = []
            for config in (sqlite_config, pg_config):
                wall, result = median_wall([BINARY] + command + ["--config", config], ok=ok)
                walls.append(wall)
                answers.setdefault(name, []).append(result.stdout)
            print(f"{name:22}{walls[0]:9.2f}s{walls[1]:11.2f}s")
        # check's perfdata (after " | ") holds ages in seconds, which move between the two runs.
        answers["check (all targets)"] = [text.split(" | ")[0] for text in answers["check (all targets)"]]
        for name in ("status --json", "check (all targets)", "evidence verify"):
            same = answers[name][0] == answers[name][1]
            if not same:
                print("SQLite:     " + answers[name][0][:400] + "\nPostgreSQL: " + answers[name][1][:400])
            print(f"same answer from both stores: {name}: {'yes' if same else 'NO'}")
            if not same:
                sys.exit(1)
        for config, label in ((sqlite_config, "SQLite"), (pg_config, "PostgreSQL")):
            first, _ = run([BINARY, "run", "--config", config, "t000"])
            steady = statistics.median(run([BINARY, "run", "--config", config, "t000"])[0] for _ in range(3))
            print(f"run t000 + sweep of {args.targets} targets ({label}): first {first:6.2f} s, then {steady:6.2f} s "
                  f"({steady / args.targets * 1000:.2f} ms per target)")
    finally:
        if stop:
            stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
