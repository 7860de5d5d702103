#!/usr/bin/env bash
# Re-vendor Apache ECharts into console/web/static/vendor/ (maintainers only: the file is
# committed, so neither `make test` nor a deployment without internet ever fetches it).
# Usage: scripts/vendor-echarts.sh [VERSION SHA256]. The npm tarball is checked against the
# registry's own integrity (npm pack does that), then dist/echarts.min.js against SHA256.
# A new version: run it with the version and the sha256 you reviewed, then update
# ECHARTS_FILE and ECHARTS_SHA256 in console/web/assets.py and the page's script tag.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-5.6.0}
want=${2:-bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "echarts@$version" >/dev/null)
tar -xzf "$work/echarts-$version.tgz" -C "$work" package/dist/echarts.min.js package/LICENSE package/NOTICE
got=$(sha256sum "$work/package/dist/echarts.min.js" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "echarts $version: dist/echarts.min.js has sha256 $got, expected $want: not copied" >&2
  exit 1
fi
dest="$root/console/web/static/vendor"
mkdir -p "$dest"
cp "$work/package/dist/echarts.min.js" "$dest/echarts-$version.min.js"
cp "$work/package/LICENSE" "$dest/ECHARTS-LICENSE"
cp "$work/package/NOTICE" "$dest/ECHARTS-NOTICE"
echo "echarts $version vendored: $dest/echarts-$version.min.js ($got)"
