#!/usr/bin/env bash
# `make deb-check`: the package installed the way an MSP installs it, on a clean Debian 12 root
# without a Swift toolchain (debootstrap, from Debian's registry), then used, upgraded, removed and
# purged. Needs root (chroot, mounts) and Debian's registry; CI runs it after `make test`.
#
#   Tests/Package/deb-install-test.sh PACKAGE.deb UPGRADE.deb
#
# UPGRADE.deb is the same binary packaged with a higher version (`make deb-check` builds it).
# Each step prints what it checked; any failure stops the test with the step's name.
set -euo pipefail

package=$(realpath "$1")
upgrade=$(realpath "$2")
mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(.*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
mirror=${mirror:-http://deb.debian.org/debian}
root=$(mktemp -d /var/tmp/restorecheck-deb-root.XXXXXX)
# mktemp makes it 0700; as the root's /, every user in it (the service user) must traverse it.
chmod 0755 "$root"

cleanup() {
  for mount in dev/pts dev proc; do umount -l "$root/$mount" 2>/dev/null || true; done
  rm -rf --one-file-system "$root"
}
trap cleanup EXIT

fail() { echo "deb-check FAILED: $*" >&2; exit 1; }
step() { echo "deb-check: $*"; }
inside() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

started=$(date +%s)
# DEB_CHECK_ROOT_CACHE (make deb-check: .build/deb/bookworm-minbase.tar) keeps the fresh root
# between runs: debootstrap takes 35-90 s here, unpacking the tarball a few.
cache=${DEB_CHECK_ROOT_CACHE:-}
if [ -n "$cache" ] && [ -s "$cache" ]; then
  tar -C "$root" -xf "$cache"
  step "clean Debian 12 root from $cache in $(( $(date +%s) - started )) s"
else
  debootstrap --variant=minbase bookworm "$root" "$mirror" > "$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log" >&2; fail "debootstrap from $mirror"; }
  rm -f "$root.debootstrap.log"
  if [ -n "$cache" ]; then mkdir -p "$(dirname "$cache")" && tar -C "$root" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"; fi
  step "clean Debian 12 root in $(( $(date +%s) - started )) s (debootstrap minbase, from $mirror)"
fi
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# This machine's apt settings for its registry (e.g. a snapshot mirror's Valid-Until), if any.
for conf in /etc/apt/apt.conf.d/99*; do [ -e "$conf" ] && cp "$conf" "$root/etc/apt/apt.conf.d/"; done
inside sh -c 'command -v swift' >/dev/null && fail "the root has a Swift toolchain"
cp "$package" "$upgrade" "$root/tmp/"

# 1. apt installs the package and the Depends it computed, from the registry.
inside apt-get update -qq >/dev/null || fail "apt-get update in the root"
inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$package")" > "$root/tmp/install.log" 2>&1 \
  || { tail -20 "$root/tmp/install.log" >&2; fail "apt-get install of $(basename "$package")"; }
step "installed $(basename "$package") with its Depends ($(inside dpkg-query -W -f='${Depends}' restorecheck))"

# 2. What the package brought.
version=$(inside restorecheck --version) || fail "restorecheck --version"
[[ $version =~ ^restorecheck\ [0-9][^\ ]*\ \(commit\ [0-9a-f]{7,40}\)$ ]] || fail "--version printed '$version'"
step "--version: $version"
inside getent passwd restorecheck | grep -q ':/var/lib/restorecheck:/usr/sbin/nologin$' || fail "the system user"
[ "$(inside stat -c '%U:%G %a' /var/lib/restorecheck)" = "restorecheck:restorecheck 750" ] || fail "/var/lib/restorecheck's owner and mode"
[ "$(inside stat -c '%U:%G %a' /var/cache/restorecheck)" = "restorecheck:restorecheck 700" ] || fail "/var/cache/restorecheck's owner and mode"
[ "$(inside stat -c '%U:%G %a' /etc/restorecheck/restorecheck.yaml)" = "root:restorecheck 640" ] || fail "the config's owner and mode"
grep -q '^ExecStart=/usr/bin/restorecheck serve ' "$root/lib/systemd/system/restorecheck.service" || fail "the unit's ExecStart"
[ -e "$root/etc/systemd/system/multi-user.target.wants/restorecheck.service" ] && fail "the service was enabled before it is configured"
zcat "$root/usr/share/man/man1/restorecheck.1.gz" | grep -q '^\.It Em check-config' || fail "the man page does not describe the commands"
grep -q 'restorecheck' "$root/usr/share/bash-completion/completions/restorecheck" || fail "bash completion"
step "user, directories and modes, units (not enabled), man page and completions are in place"

# 3. check-config on the example config, as the service user.
inside runuser -u restorecheck -- restorecheck check-config --config /etc/restorecheck/restorecheck.yaml > "$root/tmp/check.log" 2>&1 \
  || { cat "$root/tmp/check.log" >&2; fail "check-config on the example config"; }
step "check-config on the example config: $(head -1 "$root/tmp/check.log")"

# 4. A real restore test of an archive GNU tar made there, as the service user, recorded in the history.
inside sh -euc '
  mkdir -p /srv/backup/src/etc /srv/backup/src/home
  echo verifier > /srv/backup/src/etc/hostname
  seq 1 20000 > /srv/backup/src/home/numbers.txt
  gzip -c /srv/backup/src/home/numbers.txt > /srv/backup/src/home/numbers.txt.gz
  cd /srv/backup/src && find . -type f -print0 | sort -z | xargs -0 sha256sum > /srv/backup/files.tar.gz.sha256
  tar -C /srv/backup/src -czf /srv/backup/files.tar.gz .
  chmod -R a+rX /srv/backup
  cat > /etc/restorecheck/restorecheck.yaml <<EOF
# edited by the administrator
scratch_dir: /var/cache/restorecheck
state_dir: /var/lib/restorecheck
targets:
  - name: files
    tenant: acme
    archives: /srv/backup/files.tar.gz
    manifest: "{archive}.sha256"
    sample: { files: all }
    rpo: 26h
    rto: 4h
EOF'
inside runuser -u restorecheck -- restorecheck run --config /etc/restorecheck/restorecheck.yaml --json > "$root/tmp/run.json" 2> "$root/tmp/run.err" \
  || { cat "$root/tmp/run.err" "$root/tmp/run.json" >&2; fail "restorecheck run (exit $?)"; }
python3 - "$root/tmp/run.json" <<'EOF' || fail "the run's result"
import json, sys
result = json.load(open(sys.argv[1]))["results"][0]
assert result["status"] == "passed", result
assert result["files_verified"] == 3, result
print("deb-check: restorecheck run: passed,", result["files_verified"], "files verified")
EOF
# The monitoring plugin, as NRPE runs it (as the service user): OK after that passing test.
check=$(inside runuser -u restorecheck -- restorecheck check --config /etc/restorecheck/restorecheck.yaml --target files) \
  || fail "restorecheck check after a passing test (exit $?): $check"
[[ $check == "RESTORECHECK OK - acme/files: verified restore point "*"'age'="* ]] || fail "restorecheck check printed '$check'"
step "restorecheck check: ${check%% |*}"
runs_before=$(inside runuser -u restorecheck -- restorecheck history --config /etc/restorecheck/restorecheck.yaml files | grep -c passed) \
  || fail "history after the run"

# 5. Upgrade: the administrator's config and the history are kept; the binary is the new package's.
inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$upgrade")" > "$root/tmp/upgrade.log" 2>&1 \
  || { tail -20 "$root/tmp/upgrade.log" >&2; fail "the upgrade"; }
new_version=$(inside dpkg-query -W -f='${Version}' restorecheck)
[ "restorecheck_${new_version}_amd64.deb" = "$(basename "$upgrade")" ] || fail "the upgraded version is $new_version"
head -1 "$root/etc/restorecheck/restorecheck.yaml" | grep -q 'edited by the administrator' || fail "the upgrade replaced the edited config"
runs_after=$(inside runuser -u restorecheck -- restorecheck history --config /etc/restorecheck/restorecheck.yaml files | grep -c passed) \
  || fail "history after the upgrade"
[ "$runs_after" = "$runs_before" ] || fail "history had $runs_before passed run(s), $runs_after after the upgrade"
inside runuser -u restorecheck -- restorecheck evidence verify --config /etc/restorecheck/restorecheck.yaml >/dev/null \
  || fail "the evidence chain after the upgrade"
step "upgraded to $new_version: config and history ($runs_after run) kept, evidence chain intact"

# 6. remove keeps the data and the config; purge deletes them.
inside dpkg --remove restorecheck >/dev/null || fail "dpkg --remove"
[ -e "$root/usr/bin/restorecheck" ] && fail "the binary is still there after remove"
[ -s "$root/var/lib/restorecheck/history.sqlite" ] || fail "remove deleted the history"
[ -e "$root/etc/restorecheck/restorecheck.yaml" ] || fail "remove deleted the config"
inside dpkg --purge restorecheck >/dev/null || fail "dpkg --purge"
[ -e "$root/var/lib/restorecheck" ] && fail "purge left /var/lib/restorecheck"
[ -e "$root/var/cache/restorecheck" ] && fail "purge left /var/cache/restorecheck"
[ -e "$root/etc/restorecheck" ] && fail "purge left /etc/restorecheck"
step "remove kept history and config; purge removed them"
step "passed in $(( $(date +%s) - started )) s"
