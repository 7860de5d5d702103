#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright drives it; no browser is downloaded),
# and a CJK font so that the screenshots show the Chinese, not boxes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/lib.sh"
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi
