#!/usr/bin/env python3
"""An independent implementation of restorecheck's evidence chain (README "Evidence chain").

  evidence_chain.py verify HISTORY.sqlite          recompute every entry hash; exit 0 when intact
  evidence_chain.py synthesize HISTORY.sqlite --targets 50 --days 400 --tenant bench
                                                   append daily runs (chained) for the report benchmark

It shares no code with restorecheck: an auditor can read these ~100 lines against the README and
check a history without trusting the verifier's binary. `make test` runs `verify` on a history the
Swift code wrote, so the documented format and the code cannot drift apart.
"""
import argparse
import hashlib
import json
import sqlite3
import sys

CHAIN_COLUMNS = {"chain_seq", "prev_hash", "entry_hash"}


def scalar(value):
    """NULL, integers, and reals in their shortest round-trip form (Swift's `Double.description`
    and Python's `repr` agree on it: `5.0`, `1764484000.25`, `1e+16`)."""
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    return repr(value)


def string_bytes(text):
    out = bytearray(b'"')
    for byte in text.encode("utf-8"):
        if byte == 0x22:
            out += b'\\"'
        elif byte == 0x5C:
            out += b"\\\\"
        elif byte < 0x20:
            out += b"\\u%04x" % byte
        else:
            out.append(byte)
    return bytes(out + b'"')


def value_bytes(value):
    if isinstance(value, str):
        return string_bytes(value)
    if isinstance(value, bytes):
        return string_bytes(value.hex())
    return scalar(value).encode()


def obj(row, findings=None):
    members = {k: v for k, v in row.items() if k not in CHAIN_COLUMNS and v is not None}
    keys = list(members)
    if findings is not None:
        keys.append("findings")
    keys.sort(key=lambda k: k.encode("utf-8"))
    parts = []
    for key in keys:
        if key == "findings" and findings is not None:
            body = b"[" + b",".join(obj(f) for f in findings) + b"]"
        else:
            body = value_bytes(members[key])
        parts.append(string_bytes(key) + b":" + body)
    return b"{" + b",".join(parts) + b"}"


def canonical(db, run_id):
    db.row_factory = sqlite3.Row
    row = dict(db.execute("SELECT * FROM run WHERE id = ?", (run_id,)).fetchone())
    findings = [dict(f) for f in db.execute("SELECT * FROM finding WHERE run_id = ? ORDER BY rowid", (run_id,))]
    return obj(row, findings)


def entry_hash(previous_hex, record):
    return hashlib.sha256(bytes.fromhex(previous_hex) + record).hexdigest()


def verify(path):
    db = sqlite3.connect(path)
    anchor = db.execute("SELECT chain_seq, entry_hash FROM evidence_anchor WHERE id = 1").fetchone()
    seq, previous = (anchor[0] + 1, anchor[1]) if anchor else (1, "00" * 32)
    problems, checked = [], 0
    for run_id, chain_seq, prev_hash, stored in db.execute(
            "SELECT id, chain_seq, prev_hash, entry_hash FROM run WHERE chain_seq IS NOT NULL ORDER BY chain_seq").fetchall():
        if chain_seq > seq:
            problems.append(f"chain entries {seq}..{chain_seq - 1} deleted (before run {run_id})")
            previous = prev_hash
        if entry_hash(previous, canonical(db, run_id)) != stored or prev_hash != previous:
            problems.append(f"run {run_id} (chain entry {chain_seq}) changed")
        seq, previous, checked = chain_seq + 1, stored, checked + 1
    for (run_id,) in db.execute("SELECT id FROM run WHERE chain_seq IS NULL AND status != 'started'"):
        problems.append(f"run {run_id} inserted")
    for problem in problems:
        print("broken:", problem)
    if not problems:
        print(f"intact: {checked} entries, head {previous if checked else '(empty)'}")
    return 1 if problems else 0


def synthesize(path, targets, days, tenant):
    """Daily tests of `targets` targets over `days` days, ending now, chained as restorecheck chains them."""
    import time
    db = sqlite3.connect(path)
    head = db.execute("SELECT chain_seq, entry_hash FROM run WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1").fetchone()
    seq, previous = head if head else (0, "00" * 32)
    end = float(int(time.time()) // 86400 * 86400)
    start = end - days * 86400
    with db:
        for day in range(days):
            for index in range(targets):
                target = f"t{index:03d}"
                # Backups at 00:00, tests at 01:00: the verified age stays under a 26h RPO between tests.
                started = start + day * 86400 + 3600 + index
                failed = (day * 7 + index) % 97 == 0
                status = "failed" if failed else "passed"
                outcome = {"target": target, "tenant": tenant, "status": status}
                cursor = db.execute(
                    """INSERT INTO run (target, tenant, status, reasons, origin, started, finished, archive, backup_timestamp,
                       restore_seconds, projected_full_restore_seconds, files_verified, bytes_restored, checksum_mismatches,
                       outcome_json, archive_bytes, manifest_sha256, sample, seed, rpo_seconds, rto_seconds, rto_met, findings_count)
                       VALUES (?, ?, ?, ?, 'serve', ?, ?, ?, ?, 4.5, 3600.0, 20, 204800, ?, ?, 1073741824, ?, '20 files', ?, 93600.0, 14400.0, 1, ?)""",
                    (target, tenant, status, "checksum_mismatch" if failed else "", started, started + 5,
                     f"/srv/backups/{tenant}/{target}-{day}.tar.gz", start + day * 86400, 1 if failed else 0,
                     json.dumps(outcome), "ab" * 32, str(day * 1000 + index), 1 if failed else 0))
                run_id = cursor.lastrowid
                if failed:
                    db.execute("INSERT INTO finding (run_id, path, reason, detail) VALUES (?, 'docs/report.docx', 'checksum_mismatch', 'restored bytes differ')", (run_id,))
                seq += 1
                digest = entry_hash(previous, canonical(db, run_id))
                db.execute("UPDATE run SET chain_seq = ?, prev_hash = ?, entry_hash = ? WHERE id = ?", (seq, previous, digest, run_id))
                previous = digest
    print(f"appended {days * targets} runs for tenant {tenant}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify")
    v.add_argument("history")
    s = sub.add_parser("synthesize")
    s.add_argument("history")
    s.add_argument("--targets", type=int, default=50)
    s.add_argument("--days", type=int, default=400)
    s.add_argument("--tenant", default="bench")
    args = parser.parse_args()
    if args.command == "verify":
        sys.exit(verify(args.history))
    synthesize(args.history, args.targets, args.days, args.tenant)


if __name__ == "__main__":
    main()
