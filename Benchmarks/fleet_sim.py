#!/usr/bin/env python3
"""Fleet sizing by simulation (issue 24): how many verifier nodes each storage location needs.

Replays the fleet planner's policy (docs/fleet.md) on a model of an MSP too large for this
machine: by default 200 tenants, 2,000 backup targets and 500 TB in three locations, with the
per-byte and per-file costs measured by `make bench` on the project's machine and the bandwidth
each location gives its verifiers. For each location it searches the smallest number of nodes
that runs every daily sample test within its start window (a day) and every quarterly full
restore drill within the quarter, and prints the nodes, their utilisation, the longest wait of
any tenant's test, and the closed-form estimate beside the simulated one.

    python3 Benchmarks/fleet_sim.py [--tenants 200] [--targets 2000] [--total-tb 500] [--days 90]
                                    [--tar-every 1] [--per-tenant 1] [--seed 1]

`--tar-every N` tests tar-format targets every N days instead of daily: a tar stream is decoded from
its start to reach a sample, so each of its tests reads the whole archive.

The policy, as the planner will apply it:
  - jobs are claimed by nodes of the target's location only;
  - priority classes, highest first: run-now > overdue > scheduled > coverage (full drills are
    coverage backfill, started only when no sample test waits), then by due time;
  - at most `per_tenant` running tests per tenant and class across the fleet (a tenant's drill,
    which runs for hours, never holds back its daily samples), `max_concurrent` per node;
  - a test's speed is the lesser of the node's measured restore rate and its share of the
    location's bandwidth.
Pure standard library; deterministic for a seed.
"""
import argparse
import heapq
import math
import random
import statistics

# Measured on the project's machine (docs/performance.md, `make bench`, 2026-11-30): a full verify
# (decode, hash, write) per node with both cores busy, the decode floor of a tar stream that must be
# read whole to reach a sample, and the per-file cost of many small files.
VERIFY_BYTES_PER_S = {"tar.gz": 482e6, "tar.zst": 497e6, "zip": 273e6, "repository": 300e6}
DECODE_BYTES_PER_S = {"tar.gz": 380e6, "tar.zst": 1190e6}
PER_FILE_S = 23e-6
FORMAT_MIX = [("tar.gz", 0.30), ("tar.zst", 0.20), ("zip", 0.10), ("repository", 0.40)]

# The model's locations: share of the data, and the bandwidth verifiers get from the storage there.
LOCATIONS = {
    "fra1 (datacentre)": {"share": 0.45, "bandwidth": 1.25e9},   # 10 Gbit/s to the backup storage
    "ams1 (datacentre)": {"share": 0.35, "bandwidth": 1.25e9},
    "s3 (cloud bucket)": {"share": 0.20, "bandwidth": 0.25e9},   # 2 Gbit/s of egress
}
SAMPLE_FILES = 20
AVERAGE_FILE_BYTES = 4 << 20
MAX_CONCURRENT = 2          # tests per node (the fleet config's max_concurrent)
PER_TENANT = 1              # running tests per tenant across the fleet
TARGET_UTILISATION = 0.8    # headroom for run-now tests, retries and growth


class Target:
    def __init__(self, name, tenant, location, size, fmt):
        self.name, self.tenant, self.location, self.size, self.fmt = name, tenant, location, size, fmt
        self.files = max(1, int(size / AVERAGE_FILE_BYTES))

    def sample_work(self):
        """(bytes read from storage, CPU seconds at full speed) of one daily sample test."""
        sample_bytes = SAMPLE_FILES * AVERAGE_FILE_BYTES
        if self.fmt.startswith("tar"):
            # A tar stream is decoded from its start to reach the sampled entries: all of it is read.
            read = self.size
            cpu = self.size / DECODE_BYTES_PER_S[self.fmt] + sample_bytes / VERIFY_BYTES_PER_S[self.fmt]
        else:
            # An index, then the sampled files only (zip's central directory, a repository's index).
            read = sample_bytes + self.size * 0.001
            cpu = read / VERIFY_BYTES_PER_S[self.fmt]
        return read, cpu + SAMPLE_FILES * PER_FILE_S

    def drill_work(self):
        """A full restore drill: every byte read, restored and verified."""
        return self.size, self.size / VERIFY_BYTES_PER_S[self.fmt] + self.files * PER_FILE_S


def make_fleet(tenants, targets, total_tb, rng):
    """Targets spread over tenants unevenly (a few large customers), sizes heavy-tailed."""
    weights = [rng.paretovariate(1.5) for _ in range(tenants)]
    owner = rng.choices(range(tenants), weights=weights, k=targets)
    raw = [rng.lognormvariate(0, 1.2) for _ in range(targets)]
    scale = total_tb * 1e12 / sum(raw)
    names = list(LOCATIONS)
    shares = [LOCATIONS[n]["share"] for n in names]
    fleet = []
    for index in range(targets):
        fmt = rng.choices([f for f, _ in FORMAT_MIX], weights=[w for _, w in FORMAT_MIX])[0]
        location = rng.choices(names, weights=shares)[0]
        fleet.append(Target(f"t{index:04d}", f"tenant{owner[index]:03d}", location, raw[index] * scale, fmt))
    return fleet


def simulate(targets, nodes, bandwidth, days, rng, tar_every=1):
    """Discrete-event run of one location with `nodes` nodes; returns its figures.

    Jobs: a sample test per target per day (due at a random time of day, start window a day) and
    one full drill per target per quarter (due spread over the quarter, coverage class).
    """
    slots = nodes * MAX_CONCURRENT
    jobs = []  # (priority class, due, seq, target, kind)
    seq = 0
    for target in targets:
        offset = rng.uniform(0, 86400)
        every = tar_every if target.fmt.startswith("tar") else 1
        for day in range(0, days, every):
            jobs.append((2, day * 86400 + offset, seq, target, "sample"))
            seq += 1
        jobs.append((3, rng.uniform(0, days * 86400 * 0.9), seq, target, "drill"))
        seq += 1
    jobs.sort(key=lambda job: job[1])
    arrivals = 0
    waiting = []        # heap by (class, due, seq)
    running = {}        # seq -> [progress left (1 → 0), read bytes, cpu seconds, slot, started, kind]
    tenant_running = {}
    now = 0.0
    busy_slot_seconds = 0.0
    waits = {}
    not_started = 0
    drills_done = 0
    end = days * 86400

    def rates():
        # Processor sharing of the location's bandwidth: each running test gets an equal share,
        # and goes no faster than its node's measured restore rate.
        share = bandwidth / max(1, len(running))
        return {number: 1.0 / max(job[2], job[1] / share, 1e-9) for number, job in running.items()}

    current = {}
    while arrivals < len(jobs) or waiting or running:
        next_arrival = jobs[arrivals][1] if arrivals < len(jobs) else math.inf
        finishing = min(((job[0] / current[number], number) for number, job in running.items()), default=(math.inf, None))
        step = min(next_arrival - now, finishing[0])
        if step == math.inf:
            break
        for number, job in running.items():
            job[0] -= step * current[number]
        busy_slot_seconds += step * len(running)
        now += step
        for number in [n for n, job in running.items() if job[0] <= 1e-9]:
            job = running.pop(number)
            tenant_running[job[3]] -= 1
            if job[5] == "drill" and now <= end:
                drills_done += 1
        while arrivals < len(jobs) and jobs[arrivals][1] <= now:
            heapq.heappush(waiting, jobs[arrivals])
            arrivals += 1
        # Start what fits: the best job whose tenant (per class) is under its cap, while slots are free.
        deferred = []
        while waiting and len(running) < slots:
            klass, due, number, target, kind = heapq.heappop(waiting)
            if kind == "sample" and now - due > 86400:
                not_started += 1          # its start window passed: a `not_started` event
                continue
            # The cap is per tenant and class: a tenant's hours-long drill never holds back its daily samples.
            slot = (target.tenant, kind)
            if tenant_running.get(slot, 0) >= PER_TENANT:
                deferred.append((klass, due, number, target, kind))
                continue
            read, cpu = target.sample_work() if kind == "sample" else target.drill_work()
            running[number] = [1.0, read, cpu, slot, now, kind]
            tenant_running[slot] = tenant_running.get(slot, 0) + 1
            if kind == "sample":
                waits.setdefault(target.tenant, []).append(now - due)
        for job in deferred:
            heapq.heappush(waiting, job)
        current = rates()
    longest = max((max(w) for w in waits.values()), default=0.0)
    per_tenant_max = sorted(max(w) for w in waits.values())
    return {
        "utilisation": busy_slot_seconds / (slots * max(now, end)),  # slots occupied, waiting on bandwidth included
        "longest_wait_h": longest / 3600,
        "p99_tenant_wait_h": per_tenant_max[int(len(per_tenant_max) * 0.99) - 1] / 3600 if per_tenant_max else 0.0,
        "not_started": not_started,
        "drills_done": drills_done,
        "finished_h": now / 3600,
    }


def per_day(target, days, tar_every):
    """(bytes read, node-seconds) the target costs a day on average: its samples and its drill."""
    every = tar_every if target.fmt.startswith("tar") else 1
    sample_read, sample_cpu = target.sample_work()
    drill_read, drill_cpu = target.drill_work()
    return sample_read / every + drill_read / days, sample_cpu / every + drill_cpu / days


def estimate(targets, bandwidth, days, tar_every):
    """The closed form: node-seconds of work per day ÷ what a node gives a day at the target utilisation;
    and the bandwidth floor, which more nodes cannot lower."""
    work = sum(per_day(t, days, tar_every)[1] for t in targets)
    read = sum(per_day(t, days, tar_every)[0] for t in targets)
    nodes = math.ceil(work / (MAX_CONCURRENT * 86400 * TARGET_UTILISATION))
    return nodes, read / bandwidth / 3600


def main():
    global PER_TENANT
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--targets", type=int, default=2000)
    parser.add_argument("--total-tb", type=float, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--tar-every", type=int, default=1)
    parser.add_argument("--per-tenant", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    PER_TENANT = args.per_tenant
    rng = random.Random(args.seed)
    fleet = make_fleet(args.tenants, args.targets, args.total_tb, rng)
    print(f"{args.tenants} tenants, {args.targets} targets, {args.total_tb:.0f} TB; daily samples of {SAMPLE_FILES} files, "
          f"(tar targets every {args.tar_every} day(s)), a full drill per target per {args.days} days; "
          f"max_concurrent {MAX_CONCURRENT}, per_tenant {PER_TENANT}")
    print()
    print("| location | targets | TB | read per day (TB) | bandwidth floor (h/day) | nodes (formula) | nodes (simulated) "
          "| utilisation | longest wait (h) | p99 tenant wait (h) | not started | drills done |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, spec in LOCATIONS.items():
        here = [t for t in fleet if t.location == name]
        formula, floor_h = estimate(here, spec["bandwidth"], args.days, args.tar_every)
        read_per_day = sum(per_day(t, args.days, args.tar_every)[0] for t in here) / 1e12
        bound = floor_h > 24 * TARGET_UTILISATION
        chosen, result = None, None
        # Bandwidth-bound: no number of nodes meets the windows; simulate the formula's count to show by how much.
        for nodes in ([formula] if bound else range(max(1, formula - 1), formula + 8)):
            result = simulate(here, nodes, spec["bandwidth"], args.days, random.Random(args.seed), args.tar_every)
            if result["not_started"] == 0 and result["drills_done"] == len(here) and result["utilisation"] <= TARGET_UTILISATION:
                chosen = nodes
                break
        note = " (bandwidth-bound)" if bound else ""
        shown = chosen if chosen is not None else ("none: bandwidth-bound" if bound else "none within formula + 7")
        print(f"| {name} | {len(here)} | {sum(t.size for t in here) / 1e12:.0f} | {read_per_day:.1f} | {floor_h:.1f}{note} | {formula} | "
              f"{shown} | {result['utilisation']:.0%} | {result['longest_wait_h']:.1f} | "
              f"{result['p99_tenant_wait_h']:.1f} | {result['not_started']} | {result['drills_done']}/{len(here)} |")


if __name__ == "__main__":
    main()
