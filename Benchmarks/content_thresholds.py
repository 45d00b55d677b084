#!/usr/bin/env python3
"""How often uniformly random bytes (what ciphertext looks like) clear the content check's
random-like test, by sample size, and what real formats score: the numbers behind README
"Content checks". Mirrors ByteStatistics and ContentRule (Miller-Madow corrected Shannon entropy
>= 7.95 bits/byte and chi-square <= 348 at 255 degrees of freedom).

usage: content_thresholds.py [--trials 2000] [FILE ...]
"""
import argparse
import math
import os

ENTROPY, CHI_SQUARE, WINDOW = 7.95, 348.0, 1 << 20


def statistics(data):
    data = data[:WINDOW]
    n, counts = len(data), [0] * 256
    for byte in data:
        counts[byte] += 1
    expected = n / 256
    chi = sum((c - expected) ** 2 / expected for c in counts)
    seen = sum(1 for c in counts if c)
    plain = -sum(c / n * math.log2(c / n) for c in counts if c)
    return plain, plain + (seen - 1) / (2 * n * math.log(2)), chi


def random_like(corrected, chi):
    return corrected >= ENTROPY and chi <= CHI_SQUARE


parser = argparse.ArgumentParser()
parser.add_argument("--trials", type=int, default=2000)
parser.add_argument("files", nargs="*")
args = parser.parse_args()
print("| random bytes | plain entropy, min | corrected, min | chi-square, max | not random-like |")
print("|---|---|---|---|---|")
for n in (1024, 2048, 4096, 65536):
    runs = [statistics(os.urandom(n)) for _ in range(args.trials)]
    missed = sum(1 for _, corrected, chi in runs if not random_like(corrected, chi))
    print(f"| {n} B | {min(r[0] for r in runs):.3f} | {min(r[1] for r in runs):.3f} | {max(r[2] for r in runs):.0f} "
          f"| {missed} of {args.trials} ({missed / args.trials:.1%}) |")
if args.files:
    print("\n| file | bytes | corrected entropy | chi-square | random-like |\n|---|---|---|---|---|")
    for path in args.files:
        with open(path, "rb") as f:
            data = f.read(WINDOW)
        _, corrected, chi = statistics(data)
        print(f"| {os.path.basename(path)} | {len(data)} | {corrected:.3f} | {chi:.0f} | {'yes' if random_like(corrected, chi) else 'no'} |")
