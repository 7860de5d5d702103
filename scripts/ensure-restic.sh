#!/usr/bin/env bash
# Debian's restic for `callwarden backup` (encrypted, deduplicated, verifiable backups), as one
# program under var/tools/: the package is downloaded (`apt-get download`, no root needed) and
# unpacked there, not installed, so a machine without root gets it too. A restic already on
# PATH is not used: the project pins what it tests with.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/var/tools"
target="$tools/restic"
if [ -x "$target" ] && "$target" version >/dev/null 2>&1; then
  exit 0
fi
mkdir -p "$tools"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! (cd "$work" && apt-get download -qq restic >/dev/null 2>&1); then
  # No package lists yet (a fresh container): refreshing them needs root.
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  (cd "$work" && apt-get download -qq restic)
fi
dpkg-deb -x "$work"/restic_*.deb "$work/root"
install -m 0755 "$work/root/usr/bin/restic" "$target.partial"
mv "$target.partial" "$target"
echo "restic: $("$target" version)"
