#!/usr/bin/env python3
"""restorecheck's benchmark: full and sampled verification against GNU tar + sha256sum, bsdtar and
the libarchive decode floor, measured side by side in one run. Run it with `make bench`.

usage: bench.py [--size-mib 1024] [--reps 3] [--scale 4] [--skip-scale] [--formats tar.gz,tar.zst,zip]
                [--repositories restic,borg] [--only-repositories] [--small-files 200000] [--only-decoders]
                [--only-projections] [--only-scale] [--restore-formats tar.gz,tar.zst,zip,7z] [--only-restore]

Peak RSS: a full verify at the dataset's size and at --scale times it, through each decoder path
(tar.zst: libarchive's zstd; tar.gz: ISA-L; multi-block tar.xz: liblzma's threads).

Decoders: full verifies of tar.gz (ISA-L) and of a multi-block tar.xz (liblzma's threads) against the
same verifies forced through libarchive's filters (RESTORECHECK_GZIP_DECODER=zlib,
RESTORECHECK_XZ_THREADS=0) and the decode floor, and a case of many small files (1-8 KiB) in one
tar.zst: µs per file against bsdtar -xf, and the 20-file projection against the full restore.

Restore: `restorecheck restore` of each format (and of each repository) against the tools an MSP's
runbook would run instead (tar -x, bsdtar -xf, unzip, 7z x, restic restore, borg extract), into tmpfs.

Repositories (restic, borg): restorecheck's full and 20-file verify of the newest snapshot against the
bare tool doing the same restore (`restic restore`, `borg extract`) into tmpfs, in the same run.

Extraction and scratch go to /dev/shm: repeated extract-and-delete on the root filesystem of these
machines (ext4 without a journal) slows 6-15x and would measure the filesystem, not the tools.
Peak RSS comes from wait4(2), which covers the restore worker (a child of restorecheck).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build/release/restorecheck")
WORK = os.path.join(ROOT, ".bench")
SHM = "/dev/shm/restorecheck-bench"

parser = argparse.ArgumentParser()
parser.add_argument("--size-mib", type=int, default=1024)
parser.add_argument("--reps", type=int, default=3)
parser.add_argument("--scale", type=int, default=4, help="the larger set for the RSS check is this many times bigger")
parser.add_argument("--skip-scale", action="store_true")
parser.add_argument("--formats", default="tar.gz,tar.zst,zip")
parser.add_argument("--projection-formats", default="tar.gz,tar.zst,tar.xz,zip",
                    help="formats whose RTO projection (20-file sample) is compared with a full restore")
parser.add_argument("--repositories", default="restic,borg", help="repository tools to measure ('' for none)")
parser.add_argument("--only-repositories", action="store_true", help="measure the repository rows only")
parser.add_argument("--small-files", type=int, default=200_000, help="files (1-8 KiB) of the many-small-files case (0: skip)")
parser.add_argument("--only-decoders", action="store_true", help="measure the decoder rows and the many-small-files case only")
parser.add_argument("--only-projections", action="store_true", help="measure the RTO projections only")
parser.add_argument("--only-scale", action="store_true", help="measure peak RSS at the dataset's size and --scale times it only")
parser.add_argument("--restore-formats", default="tar.gz,tar.zst,zip,7z", help="formats `restorecheck restore` is measured on against the tools")
parser.add_argument("--only-restore", action="store_true", help="measure `restorecheck restore` against the tools only")
args = parser.parse_args()
formats = args.formats.split(",")
projection_formats = args.projection_formats.split(",")


def sh(command, **kwargs):
    subprocess.run(command, shell=True, check=True, executable="/bin/bash", **kwargs)


def prepare(size_mib, wanted=None):
    """Dataset, manifest and archives (cached between runs by size). `wanted`: the archive formats to
    make (default: those the options measure)."""
    base = f"{WORK}/set-v2-{size_mib}"  # v2: documents and media with real headers
    data, archives = f"{base}/data", f"{base}/archives"
    if not os.path.exists(f"{base}/.complete"):
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(archives)
        print(f"generating {size_mib} MiB dataset and archives (cached in {base})", file=sys.stderr)
        sh(f"python3 {ROOT}/Benchmarks/generate_dataset.py {data} --size-mib {size_mib}")
        sh(f"cd {data} && find . -type f -print0 | sort -z | xargs -0 sha256sum > {base}/manifest.sha256")
        makers = {
            "tar": f"tar -C {data} -cf {archives}/set.tar .",
            "tar.gz": f"tar -C {data} -cf - . | gzip -6 > {archives}/set.tar.gz",
            "tar.zst": f"tar -C {data} -cf - . | zstd -q -3 -T2 > {archives}/set.tar.zst",
            "tar.xz": f"tar -C {data} -cf - . | xz -1 -T2 > {archives}/set.tar.xz",
            "zip": f"cd {data} && zip -q -r -6 {archives}/set.zip .",
        }
        wanted = wanted or set(formats) | set(projection_formats) | {"tar.zst", "tar.gz", "tar.xz"}
        for name, command in makers.items():
            if name in wanted:
                sh(command)
                shutil.copy(f"{base}/manifest.sha256", f"{archives}/set.{name}.sha256")
        open(f"{base}/.complete", "w").close()
    return base


REPO_PASSWORD = "bench-only-password"


def prepare_repositories(base):
    """restic and borg repositories of the dataset (cached beside its archives)."""
    repos, data = f"{base}/repos", f"{base}/data"
    if not os.path.exists(f"{repos}/.complete"):
        shutil.rmtree(repos, ignore_errors=True)
        os.makedirs(repos)
        with open(f"{repos}/pass", "w") as f:
            f.write(REPO_PASSWORD + "\n")
        print(f"making restic and borg repositories of {data}", file=sys.stderr)
        env = f"RESTIC_PASSWORD_FILE={repos}/pass BORG_PASSCOMMAND='cat {repos}/pass' BORG_BASE_DIR={repos}/borg-home"
        sh(f"{env} restic init -q --repo {repos}/restic && cd {data} && {env} restic --repo {repos}/restic --no-cache backup -q .")
        sh(f"{env} borg init -e repokey {repos}/borg 2>/dev/null && cd {data} && {env} borg create {repos}/borg::bench .")
        open(f"{repos}/.complete", "w").close()
    return repos


def decoder_rows(base):
    """Full verifies through restorecheck's own decoders (ISA-L for gzip, liblzma's threads for a
    multi-block xz) and forced through libarchive's filters (the flags), interleaved run by run,
    against the decode floor (bsdtar -xOf: libarchive decoding, nothing written or hashed)."""
    rows = []
    forced = {"tar.gz": "RESTORECHECK_GZIP_DECODER=zlib", "tar.xz": "RESTORECHECK_XZ_THREADS=0"}
    for fmt, flag in forced.items():
        archive = f"{base}/archives/set.{fmt}"
        full = config(base, f"decoders-{fmt}", archive, "{ files: all }")
        ours, theirs = measure_interleaved(
            [f"{BIN} run --config {full} --json", f"{flag} {BIN} run --config {full} --json"], args.reps, check=passed)
        floor = measure(f"bsdtar -xOf {archive} > /dev/null", args.reps, None, lambda c, o: c == 0)
        blocks = subprocess.run(f"xz --list --robot {archive} | awk '$1 == \"totals\" {{ print $3 }}'", shell=True,
                                capture_output=True, text=True).stdout.strip() if fmt == "tar.xz" else ""
        rows.append({"format": fmt, "ours": ours, "libarchive": theirs, "floor": floor, "flag": flag, "blocks": blocks})
        print(f"measured decoders for {fmt}", file=sys.stderr)
    return rows


def prepare_small(count):
    """`count` files of 1-8 KiB (deterministic text), their manifest and a tar.zst (cached)."""
    base = f"{WORK}/small-{count}"
    data, archives = f"{base}/data", f"{base}/archives"
    if not os.path.exists(f"{base}/.complete"):
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(archives)
        print(f"generating {count} small files (cached in {base})", file=sys.stderr)
        import random
        rng = random.Random(7)
        pool = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz \n") for _ in range(1 << 20))
        for index in range(count):
            directory = f"{data}/d{index // 1000:03d}"
            if index % 1000 == 0:
                os.makedirs(directory)
            size = rng.randint(1024, 8192)
            start = rng.randint(0, len(pool) - size)
            with open(f"{directory}/f{index:06d}.txt", "wb") as f:
                f.write(pool[start:start + size])
        sh(f"cd {data} && find . -type f -print0 | sort -z | xargs -0 sha256sum > {base}/manifest.sha256")
        sh(f"tar -C {data} -cf - . | zstd -q -3 -T2 > {archives}/set.tar.zst")
        shutil.copy(f"{base}/manifest.sha256", f"{archives}/set.tar.zst.sha256")
        open(f"{base}/.complete", "w").close()
    return base


def small_files_row():
    """The many-small-files case: per-file cost of a full verify against bsdtar -xf (which writes
    the files and hashes nothing), and the 20-file projection against the full restore."""
    if args.small_files <= 0:
        return None
    base = prepare_small(args.small_files)
    archive = f"{base}/archives/set.tar.zst"
    out = f"{SHM}/extract"
    full = config(base, "small-full", archive, "{ files: all }")
    row = {"files": args.small_files}
    # Interleaved: on this shared machine the same bsdtar run varied 5.1-6.3 s within minutes.
    row["restorecheck"], row["bsdtar"] = measure_interleaved(
        [[BIN, "run", "--config", full, "--json"], f"bsdtar -xf {archive} -C {out}"], args.reps,
        cleanups=[None, fresh(out)], checks=[passed, lambda c, o: c == 0])
    row["projection"] = projection(base, "tar.zst")
    print("measured the many-small-files case", file=sys.stderr)
    return row


def report_decoders(rows, small):
    if not rows and not small:
        return
    lines = []
    if rows:
        lines += [
            "decoders: full verify through restorecheck's own decoder vs forced through libarchive's filter (interleaved), "
            "and the decode floor (bsdtar -xOf: libarchive decoding only)",
            "| archive | restorecheck (own decoder) | restorecheck (libarchive's, flag) | decode floor | own ÷ floor | libarchive's ÷ floor |",
            "|---|---|---|---|---|---|",
        ]
        for r in rows:
            name = r["format"] + (f" ({r['blocks']} blocks)" if r["blocks"] else "")
            lines.append(
                f"| {name} | {cell(r['ours'])}, {r['ours']['rss']:.0f} MiB | {cell(r['libarchive'])} (`{r['flag']}`) | {cell(r['floor'])} "
                f"| {r['ours']['median'] / r['floor']['median']:.2f}× | {r['libarchive']['median'] / r['floor']['median']:.2f}× |")
    if small:
        rc, bsd, p = small["restorecheck"], small["bsdtar"], small["projection"]
        n = small["files"]
        lines += [
            "", f"many small files: {n} files of 1-8 KiB in one tar.zst; full verify vs bsdtar -xf (writes, no hashing)",
            "| restorecheck full verify | bsdtar -xf | ÷ | µs/file, restorecheck | µs/file, bsdtar | peak RSS | RTO projected (20 files, seeds 1-3) / measured |",
            "|---|---|---|---|---|---|---|",
            f"| {cell(rc)} | {cell(bsd)} | {rc['median'] / bsd['median']:.2f}× | {rc['median'] / n * 1e6:.1f} | {bsd['median'] / n * 1e6:.1f} "
            f"| {rc['rss']:.0f} MiB | {' / '.join(f'{x:.2f}' for x in p['projected'])} s vs {p['actual']:.2f} s ({p['ratio']:.2f}×) |",
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(WORK, exist_ok=True)
    with open(f"{WORK}/results-decoders.md", "w") as f:
        f.write(text)


def repository_config(base, repos, tool, name, sample):
    path = f"{SHM}/{name}.yaml"
    source = (f"restic: {{ repository: {repos}/restic, password_file: {repos}/pass }}" if tool == "restic"
              else f"borg: {{ repository: {repos}/borg, password_file: {repos}/pass }}")
    with open(path, "w") as f:
        f.write(
            f"scratch_dir: {SHM}/scratch\nstate_dir: {SHM}/state\n"
            f"defaults: {{ rpo: 3650d, rto: 30d, limits: {{ timeout: 2h }} }}\n"
            f"targets:\n  - {{ name: {name}, tenant: bench, {source}, manifest: {base}/manifest.sha256, sample: {sample} }}\n")
    return path


def repository_rows(base):
    """restorecheck through each tool's restore path against the tool alone, full and 20 files."""
    repos = prepare_repositories(base)
    out = f"{SHM}/extract"
    names = [line.split("  ", 1)[1].strip().removeprefix("./") for line in open(f"{base}/manifest.sha256")]
    sample = names[:: max(1, len(names) // 20)][:20]
    env = {**os.environ, "RESTIC_PASSWORD_FILE": f"{repos}/pass", "BORG_PASSCOMMAND": f"cat {repos}/pass",
           "BORG_BASE_DIR": f"{repos}/borg-home"}
    rows = []
    for tool in [t for t in args.repositories.split(",") if t]:
        full = repository_config(base, repos, tool, f"{tool}-full", "{ files: all }")
        few = repository_config(base, repos, tool, f"{tool}-sample", "{ files: 20 }")
        if tool == "restic":
            bare_full = f"restic --repo {repos}/restic --no-cache --no-lock restore latest --target {out}"
            bare_few = bare_full + "".join(f" --include '/{n}'" for n in sample)
        else:
            bare_full = f"cd {out} && borg --bypass-lock extract {repos}/borg::bench"
            bare_few = bare_full + "".join(f" '{n}'" for n in sample)
        ok = lambda c, o: c == 0
        r = {"tool": tool}
        # A sampled test projects from the target's last full restore: the full config's record is
        # the sample's too (one state file per target name), so the sample target gets its own first.
        shutil.rmtree(f"{SHM}/state/restore-times", ignore_errors=True)
        r["restorecheck"] = measure([BIN, "run", "--config", full, "--json"], args.reps, check=passed)
        r["measured_full"] = statistics.median(
            outcome([BIN, "run", "--config", full, "--json"])["projected_full_restore_seconds"] for _ in range(3))
        r["bare"] = measure(f"env RESTIC_PASSWORD_FILE={repos}/pass BORG_PASSCOMMAND='cat {repos}/pass' BORG_BASE_DIR={repos}/borg-home bash -c \"{bare_full}\"",
                            args.reps, fresh(out), ok)
        r["sample"] = measure([BIN, "run", "--config", few, "--json"], args.reps, check=passed)
        r["projected"] = statistics.median(
            outcome([BIN, "run", "--config", few, "--json"])["projected_full_restore_seconds"] for _ in range(3))
        r["bare_sample"] = measure(f"env RESTIC_PASSWORD_FILE={repos}/pass BORG_PASSCOMMAND='cat {repos}/pass' BORG_BASE_DIR={repos}/borg-home bash -c \"{bare_few}\"",
                                   args.reps, fresh(out), ok)
        rows.append(r)
        print(f"measured {tool}", file=sys.stderr)
    return rows


# What an MSP's runbook would run instead of `restorecheck restore`, per format ({a}: archive, {o}: directory).
RESTORE_TOOLS = {
    "tar.gz": [("tar -xzf", "tar -xzf {a} -C {o}"), ("bsdtar -xf", "bsdtar -xf {a} -C {o}")],
    "tar.zst": [("tar --zstd -xf", "tar --zstd -xf {a} -C {o}"), ("bsdtar -xf", "bsdtar -xf {a} -C {o}")],
    "zip": [("unzip", "unzip -q {a} -d {o}"), ("bsdtar -xf", "bsdtar -xf {a} -C {o}")],
    "7z": [("7z x", "7z x -bd -bso0 -bsp0 -o{o} {a}"), ("bsdtar -xf", "bsdtar -xf {a} -C {o}")],
}


def ensure_archive(base, fmt):
    """An archive format the cached dataset may lack (the restore rows add 7z)."""
    data, archive = f"{base}/data", f"{base}/archives/set.{fmt}"
    makers = {
        "tar.gz": f"tar -C {data} -cf - . | gzip -6 > {archive}",
        "tar.zst": f"tar -C {data} -cf - . | zstd -q -3 -T2 > {archive}",
        "zip": f"cd {data} && zip -q -r -6 {archive} .",
        "7z": f"cd {data} && 7z a -bd -bso0 -bsp0 -mx=1 -mmt=2 {archive} .",
    }
    if not os.path.exists(archive):
        print(f"making {archive}", file=sys.stderr)
        sh(makers[fmt])
        shutil.copy(f"{base}/manifest.sha256", f"{archive}.sha256")
    return archive


def restore_rows(base):
    """`restorecheck restore` (every file verified against the manifest as it is written, modes and
    times kept) against the tools an MSP would otherwise run, each into an empty tmpfs directory,
    interleaved run by run; then the repositories' `restore` against the tool alone."""
    out = f"{SHM}/restored"
    ok = lambda c, o: c == 0
    rows = []
    for fmt in [f for f in args.restore_formats.split(",") if f]:
        archive = ensure_archive(base, fmt)
        cfg = config(base, "restore", archive, "{ files: all }")
        commands = [[BIN, "restore", "restore", "--config", cfg, "--to", out, "--point", "newest", "--json"]]
        commands += [tool.format(a=archive, o=out) for _, tool in RESTORE_TOOLS[fmt]]
        measured = measure_interleaved(commands, args.reps, cleanups=[fresh(out)] * len(commands), checks=[ok] * len(commands))
        rows.append({"what": fmt, "restorecheck": measured[0], "tools": list(zip([n for n, _ in RESTORE_TOOLS[fmt]], measured[1:]))})
        print(f"measured restore {fmt}", file=sys.stderr)
    if args.repositories:
        repos = prepare_repositories(base)
        env = f"env RESTIC_PASSWORD_FILE={repos}/pass BORG_PASSCOMMAND='cat {repos}/pass' BORG_BASE_DIR={repos}/borg-home"
        bare = {"restic": ("restic restore", f"{env} restic --repo {repos}/restic --no-cache --no-lock restore latest --target {out}"),
                "borg": ("borg extract", f"{env} bash -c 'cd {out} && borg --bypass-lock extract {repos}/borg::bench'")}
        for tool in [t for t in args.repositories.split(",") if t]:
            cfg = repository_config(base, repos, tool, f"{tool}-restore", "{ files: all }")
            commands = [[BIN, "restore", f"{tool}-restore", "--config", cfg, "--to", out, "--point", "newest", "--json"], bare[tool][1]]
            measured = measure_interleaved(commands, args.reps, cleanups=[fresh(out)] * 2, checks=[ok] * 2)
            rows.append({"what": f"{tool} repository", "restorecheck": measured[0], "tools": [(bare[tool][0], measured[1])]})
            print(f"measured restore {tool}", file=sys.stderr)
    return rows


def report_restores(rows, base):
    if not rows:
        return
    files = sum(1 for _ in open(f"{base}/manifest.sha256"))
    lines = [
        f"restore ({args.size_mib} MiB, {files} files) into an empty tmpfs directory: `restorecheck restore` (every file checked against "
        "the manifest as it is written, renamed into place, modes and times kept) vs the tools alone (no verification); "
        "÷ is restorecheck's time over the tool's: multiply a projected RTO by 1/÷ for a runbook that uses that tool",
        "| backup | restorecheck restore | tool | tool's time | ÷ | peak RSS, restorecheck |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        rc = r["restorecheck"]
        for name, m in r["tools"]:
            lines.append(f"| {r['what']} | {cell(rc)} | {name} | {cell(m)} | {rc['median'] / m['median']:.2f}× | {rc['rss']:.0f} MiB |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(WORK, exist_ok=True)
    with open(f"{WORK}/results-restore.md", "w") as f:
        f.write(text)


def config(base, name, archive, sample, extra=""):
    path = f"{SHM}/{name}.yaml"
    with open(path, "w") as f:
        f.write(
            f"scratch_dir: {SHM}/scratch\nstate_dir: {SHM}/state\n"
            f"defaults: {{ rpo: 3650d, rto: 30d, limits: {{ timeout: 2h }} }}\n"
            f"targets:\n  - {{ name: {name}, tenant: bench, archives: {archive}, manifest: \"{{archive}}.sha256\", sample: {sample}{extra} }}\n")
    return path


def run_once(command, cleanup=None, check=None):
    """Wall seconds and peak RSS (MiB) of one run of `command`."""
    if cleanup:
        cleanup()
    start = time.perf_counter()
    process = subprocess.Popen(command, shell=isinstance(command, str), executable="/bin/bash" if isinstance(command, str) else None,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = process.stdout.read()
    process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if check and not check(code, out):
        sys.exit(f"benchmark command failed ({code}): {command}\n{out[:2000]}")
    return elapsed, usage.ru_maxrss / 1024


def summary(runs):
    times = [t for t, _ in runs]
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "rss": max(r for _, r in runs)}


def measure(command, reps, cleanup=None, check=None):
    """Median, min and max wall seconds and the peak RSS (MiB) of `command` over `reps` runs, after
    one warm-up run (page cache warm, as on a verifier that just received the backup)."""
    run_once(command, cleanup, check)
    return summary([run_once(command, cleanup, check) for _ in range(reps)])


def measure_interleaved(commands, reps, check=None, cleanups=None, checks=None):
    """`measure` for several commands, alternating them run by run (reversing the order each
    round), so drift on a shared machine lands on all of them alike. `cleanups` and `checks`, when
    given, are per command."""
    cleanups = cleanups or [None] * len(commands)
    checks = checks or [check] * len(commands)
    for index, command in enumerate(commands):
        run_once(command, cleanups[index], checks[index])
    runs = [[] for _ in commands]
    for rep in range(reps):
        for index in (range(len(commands)) if rep % 2 == 0 else reversed(range(len(commands)))):
            runs[index].append(run_once(commands[index], cleanups[index], checks[index]))
    return [summary(r) for r in runs]


def passed(code, out):
    if code != 0:
        return False
    result = json.loads(out)["results"][0]
    return result["status"] == "passed"


def outcome(command):
    """The JSON result of one `restorecheck run`."""
    done = subprocess.run(command, capture_output=True)
    result = json.loads(done.stdout)["results"][0]
    if result["status"] != "passed":
        sys.exit(f"{command}: {result['status']}: {result['summary']}")
    return result


def projection(base, fmt):
    """The RTO projection of a 20-file sample (median over seeds 1-3) against the measured time of a
    full restore of the same archive (the worker's pass, median of `reps` runs): the ratio RTO
    verdicts rest on. Both numbers are restorecheck's own, from the same run of this script."""
    archive = f"{base}/archives/set.{fmt}"
    full = config(base, "projection-full", archive, "{ files: all }")
    sample = config(base, "projection-sample", archive, "{ files: 20 }")
    actual = statistics.median(outcome([BIN, "run", "--config", full, "--json"])["projected_full_restore_seconds"] for _ in range(args.reps))
    projected = [outcome([BIN, "run", "--config", sample, "--json", "--seed", str(seed)])["projected_full_restore_seconds"] for seed in (1, 2, 3)]
    return {"format": fmt, "actual": actual, "projected": projected, "ratio": statistics.median(projected) / actual}


SCALE_FORMATS = ("tar.zst", "tar.gz", "tar.xz")


def scale_rows(base):
    """Peak RSS of a full verify at the dataset's size and at `--scale` times it, through each decoder
    path (zstd in libarchive, gzip through ISA-L, multi-block xz through liblzma's threads)."""
    big = prepare(args.size_mib * args.scale, set(SCALE_FORMATS))
    rows = []
    for fmt in SCALE_FORMATS:
        row = {"format": fmt}
        for key, where in (("small", base), ("big", big)):
            archive = f"{where}/archives/set.{fmt}"
            row[key] = measure([BIN, "run", "--config", config(where, f"scaled-{key}", archive, "{ files: all }"), "--json"], 1, check=passed)
        row["files"] = [sum(1 for _ in open(f"{where}/manifest.sha256")) for where in (base, big)]
        rows.append(row)
        print(f"measured peak RSS at scale for {fmt}", file=sys.stderr)
    return rows


def scale_lines(rows):
    lines = [f"peak RSS of a full verify (target: under 64 MiB at both sizes)",
             f"| archive | {args.size_mib} MiB | {args.size_mib * args.scale} MiB | time at {args.size_mib * args.scale} MiB |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['format']} | {r['small']['rss']:.0f} MiB ({r['files'][0]} files) | {r['big']['rss']:.0f} MiB ({r['files'][1]} files) "
                     f"| {r['big']['median']:.1f} s |")
    return lines


def fresh(path):
    def clean():
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path)
    return clean


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} missing: run `swift build -c release` (make bench does)")
    shutil.rmtree(SHM, ignore_errors=True)
    os.makedirs(f"{SHM}/scratch")
    base = prepare(args.size_mib)
    if args.only_projections:
        files = sum(1 for _ in open(f"{base}/manifest.sha256"))
        rows = [projection(base, fmt) for fmt in projection_formats]
        if args.small_files > 0:
            rows.append({**projection(prepare_small(args.small_files), "tar.zst"), "format": f"tar.zst, {args.small_files} small files"})
        print("\n".join(projection_lines(rows, files)))
        return
    if args.only_scale:
        print("\n".join(scale_lines(scale_rows(base))))
        return
    if args.only_decoders:
        report_decoders(decoder_rows(base), small_files_row())
        return
    if args.only_restore:
        report_restores(restore_rows(base), base)
        return
    repository = repository_rows(base) if args.repositories else []
    if args.only_repositories:
        report_repositories(repository, base)
        return
    rows = []
    out = f"{SHM}/extract"
    for fmt in formats:
        archive = f"{base}/archives/set.{fmt}"
        full = config(base, "full", archive, "{ files: all }")
        r = {"format": fmt, "archive_mib": os.path.getsize(archive) / 2**20}
        # The same verify without the content check (entropy, chi-square, signatures): its cost.
        # Interleaved run by run, so drift on this shared machine lands on both sides.
        unchecked = config(base, "full-unchecked", archive, "{ files: all }", ", content_checks: off")
        r["restorecheck"], r["unchecked"] = measure_interleaved(
            [[BIN, "run", "--config", full, "--json"], [BIN, "run", "--config", unchecked, "--json"]], args.reps, check=passed)
        if fmt == "zip":
            r["gnu"] = measure(f"unzip -q {archive} -d {out} && cd {out} && sha256sum -c --quiet {base}/manifest.sha256", args.reps, fresh(out), lambda c, o: c == 0)
        else:
            r["gnu"] = measure(f"tar -xf {archive} -C {out} && cd {out} && sha256sum -c --quiet {base}/manifest.sha256", args.reps, fresh(out), lambda c, o: c == 0)
        r["bsdtar"] = measure(f"bsdtar -xf {archive} -C {out}", args.reps, fresh(out), lambda c, o: c == 0)
        r["floor"] = measure(f"bsdtar -xOf {archive} > /dev/null", args.reps, None, lambda c, o: c == 0)
        if fmt in ("tar.gz", "zip"):
            sample = config(base, "sample", archive, "{ files: 20 }")
            r["sample20"] = measure([BIN, "run", "--config", sample, "--json"], args.reps, check=passed)
        rows.append(r)
        print(f"measured {fmt}", file=sys.stderr)
    projections = [projection(base, fmt) for fmt in projection_formats]
    scale = None if args.skip_scale else scale_rows(base)
    decoders, small = decoder_rows(base), small_files_row()
    report(rows, projections, scale)
    report_decoders(decoders, small)
    report_repositories(repository, base)
    report_restores(restore_rows(base), base)
    shutil.rmtree(SHM, ignore_errors=True)


def cell(m):
    return f"{m['median']:.2f} s ({m['min']:.2f}–{m['max']:.2f})"


def projection_lines(projections, files):
    lines = [f"RTO projection: 20-file sample (seeds 1-3) vs the full restore it projects ({files} files; target 0.67-1.5x)",
             "| archive | full restore | projected, seeds 1 / 2 / 3 | median ÷ full |", "|---|---|---|---|"]
    for p in projections:
        flag = "" if 0.67 <= p["ratio"] <= 1.5 else " **outside 0.67-1.5**"
        lines.append(f"| {p['format']} | {p['actual']:.2f} s | {' / '.join(f'{x:.2f}' for x in p['projected'])} s | {p['ratio']:.2f}×{flag} |")
    return lines


def report(rows, projections, scale):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        f"restorecheck benchmark — {args.size_mib} MiB dataset, {args.reps} runs after a warm-up, medians (min–max)",
        f"machine: {os.cpu_count()} cores, {cpu}; scratch and extraction on tmpfs (/dev/shm)",
        "",
        "| archive | size | restorecheck full verify | GNU tar -x + sha256sum -c | bsdtar -xf (no hashing) | decode floor (bsdtar -xOf) | vs bsdtar -xf | vs tar + sha256sum | peak RSS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rc = r["restorecheck"]
        lines.append(
            f"| {r['format']} | {r['archive_mib']:.0f} MiB | {cell(rc)} | {cell(r['gnu'])} | {cell(r['bsdtar'])} | {cell(r['floor'])} "
            f"| {rc['median'] / r['bsdtar']['median']:.2f}× | {rc['median'] / r['gnu']['median']:.2f}× | {rc['rss']:.0f} MiB |")
    lines += ["", "| sample verify (20 files) | time | vs full verify | vs decode floor |", "|---|---|---|---|"]
    for r in rows:
        if "sample20" in r:
            s = r["sample20"]
            lines.append(
                f"| {r['format']} | {cell(s)} | {s['median'] / r['restorecheck']['median'] * 100:.1f} % "
                f"| {s['median'] / r['floor']['median']:.2f}× |")
    files = sum(1 for _ in open(f"{prepare(args.size_mib)}/manifest.sha256"))
    lines += ["", f"content checks (in the full verifies above, all passed: no false positive among {files} files): cost against "
                  "`content_checks: off` in the same run (target: at most +5 %)",
              "| archive | content_checks: off | on (default) | on ÷ off |", "|---|---|---|---|"]
    for r in rows:
        on, off = r["restorecheck"], r["unchecked"]
        lines.append(f"| {r['format']} | {cell(off)} | {cell(on)} | {on['median'] / off['median']:.3f}× |")
    lines += [""] + projection_lines(projections, files)
    if scale:
        lines += [""] + scale_lines(scale)
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(WORK, exist_ok=True)
    with open(f"{WORK}/results.md", "w") as f:
        f.write(text)


def report_repositories(rows, base):
    if not rows:
        return
    files = sum(1 for _ in open(f"{base}/manifest.sha256"))
    lines = [
        f"repositories ({args.size_mib} MiB, {files} files, one snapshot): restorecheck (the tool's own restore into scratch, "
        "in its sandbox, then every restored file verified against the manifest) vs the tool restoring into tmpfs, no verification; "
        "RTO: a 20-file test's projection vs the full test's measured restore (medians of 3)",
        "| tool | restorecheck full | tool full restore | ÷ | restorecheck 20 files | tool 20-file restore | ÷ | RTO projected / measured | peak RSS, largest process |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        rc, bare, few, bare_few = r["restorecheck"], r["bare"], r["sample"], r["bare_sample"]
        lines.append(
            f"| {r['tool']} | {cell(rc)} | {cell(bare)} | {rc['median'] / bare['median']:.2f}× | {cell(few)} | {cell(bare_few)} "
            f"| {few['median'] / bare_few['median']:.2f}× | {r['projected']:.2f} s / {r['measured_full']:.2f} s "
            f"({r['projected'] / r['measured_full']:.2f}×) | {rc['rss']:.0f} MiB |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(WORK, exist_ok=True)
    with open(f"{WORK}/results-repositories.md", "w") as f:
        f.write(text)


main()
