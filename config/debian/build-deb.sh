#!/usr/bin/env bash
# Builds restorecheck_<version>_amd64.deb with dpkg-deb from an already built release binary (`make
# deb` builds it with --static-swift-stdlib first). No network, no debhelper: the package's files
# are staged here and its Depends are computed from the binary's real shared-library needs by
# dpkg-shlibdeps.
#
#   config/debian/build-deb.sh BINARY GENERATE_MANUAL OUTPUT_DIR
#
# DEB_VERSION overrides the version `BINARY --version` reports (the install test repackages the same
# binary as an upgrade). SOURCE_DATE_EPOCH dates the man page and changelog (default: HEAD's commit
# time), so two builds of one commit are the same package.
set -euo pipefail

binary=$1
generate_manual=$2
output=$3
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

# `restorecheck --version` prints "restorecheck 0.9.0 (commit 1a2b3c4d5e6f)".
version=${DEB_VERSION:-$("$binary" --version | awk '{print $2}')}
[[ $version =~ ^[0-9][0-9A-Za-z.+~-]*$ ]] || { echo "build-deb: bad version '$version'" >&2; exit 1; }
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}
export SOURCE_DATE_EPOCH=$epoch

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/stage
mkdir -p "$stage/DEBIAN"

# The binary, stripped (symbols are 80 MB of the 160).
install -D -m 0755 "$binary" "$stage/usr/bin/restorecheck"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/restorecheck"

# Units (Debian 12 keeps packaged units in /lib/systemd/system), with the package's paths.
for unit in restorecheck.service restorecheck-run@.service restorecheck-run@.timer; do
  sed 's|/usr/local/|/usr/|g' "$top/systemd/$unit" > "$work/$unit"
  install -D -m 0644 "$work/$unit" "$stage/lib/systemd/system/$unit"
done
# The drop-in that lets the units run bubblewrap: installed by the administrator who needs it
# (README "Validation commands, sandboxed"), so it ships beside the units, not in their .d/.
install -D -m 0644 "$top/systemd/validation-commands.conf" "$stage/usr/share/restorecheck/validation-commands.conf"
install -D -m 0644 "$top/systemd/object-storage.conf" "$stage/usr/share/restorecheck/object-storage.conf"
install -D -m 0644 "$top/config/prometheus/restorecheck-alerts.yml" "$stage/usr/share/restorecheck/restorecheck-alerts.yml"

# The example config is the conffile: an upgrade keeps the administrator's edits.
install -D -m 0640 "$top/config/restorecheck.example.yaml" "$stage/etc/restorecheck/restorecheck.yaml"

# Documentation: README and docs as written (the units' Documentation= points at the README), the
# examples, copyright and a changelog (a native package's, as Debian policy asks).
doc=$stage/usr/share/doc/restorecheck
install -D -m 0644 "$top/README.md" "$doc/README.md"
for page in "$top"/docs/*.md; do install -D -m 0644 "$page" "$doc/docs/$(basename "$page")"; done
install -D -m 0644 "$top/config/restorecheck.example.yaml" "$doc/examples/restorecheck.example.yaml"
for validator in "$top"/config/validators/*; do install -D -m 0755 "$validator" "$doc/examples/validators/$(basename "$validator")"; done
install -D -m 0644 "$here/copyright" "$doc/copyright"
{
  echo "restorecheck ($version) unstable; urgency=medium"
  echo
  echo "  * Release $version, built from commit $("$binary" --version | sed -n 's/.*(commit \(.*\)).*/\1/p')."
  echo "    The project's history is its git log; README.md says what changed for users."
  echo
  echo " -- restorecheck maintainers <maintainers@users.noreply.h-seed-139daee6.example>  $(date -u -R -d "@$epoch")"
} | gzip -9n > "$work/changelog.gz"
install -D -m 0644 "$work/changelog.gz" "$doc/changelog.gz"
install -D -m 0644 "$here/lintian-overrides" "$stage/usr/share/lintian/overrides/restorecheck"

# The manual, from the argument parser (every command and option, as --help says them).
mkdir -p "$work/man"
"$generate_manual" "$binary" --date "$(date -u -d "@$epoch" +%Y-%m-%d)" \
  --authors "restorecheck maintainers<maintainers@users.noreply.h-seed-139daee6.example>" --output-directory "$work/man"
gzip -9n "$work/man/restorecheck.1"
install -D -m 0644 "$work/man/restorecheck.1.gz" "$stage/usr/share/man/man1/restorecheck.1.gz"

# Shell completions, from the argument parser too.
# (bash-completion sources the file: the generator's #! line is dropped, as lintian asks.)
"$binary" --generate-completion-script bash | sed '1{/^#!/d}' > "$work/restorecheck.bash"
"$binary" --generate-completion-script zsh > "$work/_restorecheck"
"$binary" --generate-completion-script fish > "$work/restorecheck.fish"
install -D -m 0644 "$work/restorecheck.bash" "$stage/usr/share/bash-completion/completions/restorecheck"
install -D -m 0644 "$work/_restorecheck" "$stage/usr/share/zsh/vendor-completions/_restorecheck"
install -D -m 0644 "$work/restorecheck.fish" "$stage/usr/share/fish/vendor_completions.d/restorecheck.fish"

# Depends: what the binary really links, as dpkg-shlibdeps reads it from the libraries' own
# packages (it wants a debian/control naming the package, nothing more).
mkdir -p "$work/shlibs/debian"
printf 'Source: restorecheck\n\nPackage: restorecheck\nArchitecture: amd64\n' > "$work/shlibs/debian/control"
shlibs=$(cd "$work/shlibs" && dpkg-shlibdeps -O -e "$stage/usr/bin/restorecheck" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "build-deb: dpkg-shlibdeps found no libraries" >&2; exit 1; }

install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
install -m 0644 "$here/conffiles" "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@INSTALLED_SIZE@|$size|" -e "s|@SHLIBS@|$shlibs|" "$here/control.in" > "$stage/DEBIAN/control"
(cd "$stage" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"

# Every file's time is the commit's, so the package is reproducible.
find "$stage" -exec touch --no-dereference -d "@$epoch" {} +
mkdir -p "$output"
package=$output/restorecheck_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$package" >/dev/null
echo "$package"
