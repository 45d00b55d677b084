#!/usr/bin/env bash
# Generates the demo backup set under .demo/ with the real tools a backup job would use:
# GNU tar + gzip/zstd/xz, zip, 7z and cpio, restic and borg, each backup with a sha256sum manifest
# taken of the source at "backup time". One tenant's backup is deliberately stale and altered, so the demo
# shows a failure as well as passes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)/.demo"
rm -rf "$root"
mkdir -p "$root/source" "$root/backups"/{acme,globex,initech} "$root/scratch" "$root/state"

make_tree() { # make_tree DIR SEED — a small office file server: text, documents, a "photo"
  local dir=$1 seed=$2
  mkdir -p "$dir/etc" "$dir/home/alice/Documents" "$dir/home/bob/Pictures" "$dir/srv/share/Invoices 2026"
  echo "fileserver-$seed" > "$dir/etc/hostname"
  for i in $(seq 1 40); do
    seq "$((i * seed))" "$((i * seed + 400))" > "$dir/home/alice/Documents/report-$i.txt"
  done
  for i in $(seq 1 12); do
    # a photo: the JPEG/JFIF signature, then an incompressible payload
    { printf '\377\330\377\340\000\020JFIF\000'; head -c "$((200000 + i * 7919))" /dev/urandom; } > "$dir/home/bob/Pictures/IMG_$((1000 + i)).jpg"
  done
  for i in $(seq 1 25); do
    printf 'Invoice %s\nCustomer: Ünïcødé GmbH\nTotal: %s EUR\n' "$i" "$((i * 113))" > "$dir/srv/share/Invoices 2026/rechnung-$i.txt"
  done
  head -c 4000000 /dev/zero | tr '\0' 'x' > "$dir/srv/share/database-dump.sql"
}

manifest() { # manifest DIR OUT — what an MSP's backup job runs before archiving
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) > "$2"
}

# acme/fileserver: tar.gz (GNU tar, gzip), the most common MSP backup.
make_tree "$root/source/acme" 3
manifest "$root/source/acme" "$root/backups/acme/fileserver-2026-11-21.tar.gz.sha256"
tar -C "$root/source/acme" -czf "$root/backups/acme/fileserver-2026-11-21.tar.gz" .
cp "$root/backups/acme/fileserver-2026-11-21.tar.gz.sha256" "$root/backups/acme/fileserver-2026-11-22.tar.gz.sha256"
tar -C "$root/source/acme" -czf "$root/backups/acme/fileserver-2026-11-22.tar.gz" .
touch -d '1 day ago' "$root/backups/acme/fileserver-2026-11-21.tar.gz"

# acme/mail: tar.zst.
mkdir -p "$root/source/acme-mail/Maildir/cur"
for i in $(seq 1 60); do printf 'From: a@acme.test\nSubject: %s\n\nbody %s\n' "$i" "$(seq 1 $i)" > "$root/source/acme-mail/Maildir/cur/msg-$i"; done
manifest "$root/source/acme-mail" "$root/backups/acme/mail.tar.zst.sha256"
tar -C "$root/source/acme-mail" --zstd -cf "$root/backups/acme/mail.tar.zst" .

# globex/documents: zip (Info-ZIP), with a BSD-style manifest.
make_tree "$root/source/globex" 7
(cd "$root/source/globex" && find . -type f -print0 | sort -z | xargs -0 sha256sum --tag) > "$root/backups/globex/documents.zip.sha256"
(cd "$root/source/globex" && zip -qr "$root/backups/globex/documents.zip" .)

# globex/accounting: 7z (p7zip).
mkdir -p "$root/source/globex-acct/ledger"
for y in 2024 2025 2026; do seq 1 5000 | sed "s/^/$y;/" > "$root/source/globex-acct/ledger/$y.csv"; done
manifest "$root/source/globex-acct" "$root/backups/globex/accounting.7z.sha256"
(cd "$root/source/globex-acct" && 7z a -bd -bso0 "$root/backups/globex/accounting.7z" . >/dev/null)

# initech/nas: cpio (newc) + xz, three days old, and one file changed after the manifest was taken.
make_tree "$root/source/initech" 11
manifest "$root/source/initech" "$root/backups/initech/nas.cpio.xz.sha256"
echo "edited after the manifest" >> "$root/source/initech/home/alice/Documents/report-7.txt"
(cd "$root/source/initech" && find . -print | sort | cpio --quiet -o -H newc | xz -T1 > "$root/backups/initech/nas.cpio.xz")
touch -d '3 days ago' "$root/backups/initech/nas.cpio.xz"

# acme/fileserver-restic and globex/accounting-borg: the same kinds of data in a restic and a borg
# repository (encrypted; the demo's password file stands in for the MSP's secret store), each with a
# manifest taken at backup time, as a pre-backup hook would write it.
pass="$root/backups/repo.pass"
echo "demo-only-password" > "$pass" && chmod 600 "$pass"
export RESTIC_PASSWORD_FILE="$pass" BORG_PASSCOMMAND="cat $pass" BORG_BASE_DIR="$root/state/borg-client"
manifest "$root/source/acme" "$root/backups/acme/restic.sha256"
restic init -q --repo "$root/backups/acme/restic"
(cd "$root/source/acme" && restic --repo "$root/backups/acme/restic" --no-cache backup -q .)
manifest "$root/source/globex-acct" "$root/backups/globex/borg.sha256"
borg init -e repokey "$root/backups/globex/borg" 2>/dev/null
(cd "$root/source/globex-acct" && borg create "$root/backups/globex/borg::accounting-$(date +%F)" .)
unset RESTIC_PASSWORD_FILE BORG_PASSCOMMAND BORG_BASE_DIR

echo "demo backup set ready under $root/backups:"
(cd "$root/backups" && ls -l */ | grep -v '^total' | awk 'NF > 2 {print "  " $NF " (" $5 " bytes)"} /:$/ {print $0}')
