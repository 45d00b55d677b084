#!/usr/bin/env bash
# Regenerates the committed fixtures in this directory. Run it only to change them; the tests use
# the committed files so that these formats stay covered even on a host without the tools.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src/Büro/Ablage" "$work/src/etc"
printf 'fixture-host\n' > "$work/src/etc/hostname"
printf 'Grüße aus dem Büro\n' > "$work/src/Büro/Ablage/brief.txt"
seq 1 2000 > "$work/src/Büro/zahlen.txt"
cd "$work/src"
find . -type f -print0 | sort -z | xargs -0 sha256sum > "$work/manifest"
# Fixed mtimes and owners so the bytes are reproducible.
find . -exec touch -h -d '2026-01-01 00:00:00 UTC' {} +
bsdtar --format pax --uid 0 --gid 0 -cf "$here/pax-utf8.tar" etc Büro
find . -print | LC_ALL=C sort | cpio --quiet -o -H odc -R 0:0 > "$here/odc.cpio"
7z a -bd -bso0 -bsp0 "$here/lzma2.7z" etc Büro >/dev/null
rm -f "$here/bad-crc.zip"
zip -q -X -0 "$here/bad-crc.zip" etc/hostname Büro/zahlen.txt
python3 - "$here/bad-crc.zip" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
at = data.index(b"fixture-host")
data[at] ^= 0x20  # one flipped bit in stored data: the CRC no longer matches
open(sys.argv[1], "wb").write(bytes(data))
PY
for f in pax-utf8.tar odc.cpio lzma2.7z bad-crc.zip; do cp "$work/manifest" "$here/$f.sha256"; done
echo "fixtures written to $here"
