#!/usr/bin/env bash
# Create the virtual environment (installing python3-venv if Debian lacks it) and the project.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
py=${1:-python3}
venv=${2:-.venv}
if [ ! -x "$venv/bin/python" ]; then
  if ! "$py" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    apt_install python3-venv python3-dev
    "$py" -m venv "$venv"
  fi
fi
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e '.[dev]'
