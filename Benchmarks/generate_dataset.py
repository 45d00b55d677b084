#!/usr/bin/env python3
"""Deterministic "small-business file server" dataset for restorecheck's benchmark.

usage: generate_dataset.py OUT_DIR [--size-mib N] [--seed S]

Roughly 30 % of the bytes in many small text-like files (1-64 KiB), 30 % in medium documents
(1-10 MiB, partly compressible), 40 % in a few large incompressible media files (~100 MiB each,
fewer on small sizes). The same seed and size give the same bytes on every machine.

Documents and media carry their formats' real structure, as on a real file server (and as the content
check expects): each .docx is a zip (stored, so the archive's compressor still sees its text) holding
the document's XML and a JPEG-headed image; each .mp4 is an ISO media file (ftyp box, then one mdat).
"""
import argparse
import io
import os
import random
import struct
import zipfile

parser = argparse.ArgumentParser()
parser.add_argument("out")
parser.add_argument("--size-mib", type=int, default=1024)
parser.add_argument("--seed", type=int, default=42)
args = parser.parse_args()

rng = random.Random(args.seed)
total = args.size_mib << 20
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 11))) for _ in range(5000)]
# A 4 MiB pool of text; files take slices at random offsets (fast, and compresses like prose).
text = b" ".join(rng.choice(words) + (b"\n" if rng.random() < 0.08 else b"") for _ in range(700_000))[: 4 << 20]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def text_bytes(size):
    start = rng.randrange(0, len(text) - size) if size < len(text) else 0
    return (text * (size // len(text) + 1))[start : start + size] if size >= len(text) else text[start : start + size]


JFIF = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"


def docx(text, image):
    """An Office Open XML package: a zip with fixed timestamps, members stored uncompressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        for name, data in [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document>" + text + b"</w:document>"),
                           ("word/media/image1.jpeg", JFIF + image)]:
            package.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


written = 0
# Large media: incompressible.
media_budget = int(total * 0.4)
media_size = min(100 << 20, max(1 << 20, media_budget // 4))
index = 0
while written + media_size <= media_budget:
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", b"isom", 512) + b"isomavc1"
    mdat = struct.pack(">I4s", media_size - len(ftyp), b"mdat")
    write(f"{args.out}/media/video-{index:03d}.mp4", ftyp + mdat + rng.randbytes(media_size - len(ftyp) - len(mdat)))
    written += media_size
    index += 1
# Medium documents: half text, half random (a compressible container with embedded images).
document_budget = written + int(total * 0.3)
index = 0
while written < document_budget:
    size = min(rng.randint(1 << 20, 10 << 20), document_budget - written)
    half = size // 2
    write(f"{args.out}/documents/dept-{index % 7}/report-{index:04d}.docx", docx(text_bytes(half), rng.randbytes(size - half)))
    written += size
    index += 1
# Small text-like files in nested home directories.
index = 0
while written < total:
    size = min(rng.randint(1 << 10, 64 << 10), total - written)
    write(f"{args.out}/home/user-{index % 40:02d}/projects/p{index % 300:03d}/notes-{index:06d}.txt", text_bytes(size))
    written += size
    index += 1
print(f"{args.out}: {written >> 20} MiB")
