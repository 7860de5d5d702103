#!/usr/bin/env bash
# Build (once) the Debian sid root with Asterisk 22 that the embedded sandbox runs under chroot.
# It is cached outside the repository ($XDG_CACHE_HOME/callwarden/asterisk-root, ~340 MB, ~1 min).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
command -v mmdebstrap >/dev/null || apt_install mmdebstrap
"$root/.venv/bin/python" -c '
from dialer.sandbox import default_cache, ensure_root
print("asterisk root:", ensure_root(default_cache()))
'
