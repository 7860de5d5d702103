"""Where MixMonitor writes recordings, for the commands that read its folder (the sweep,
the live follower)."""

from __future__ import annotations

import sys
from pathlib import Path

from console.app import App
from dialer.sandbox import load_state


def spool_dir(app: App, given: str | None) -> Path | None:
    """MixMonitor's folder: the one given, or the running sandbox's; None (said on stderr)
    when neither is there."""
    if given:
        return Path(given)
    sandbox = load_state(app.paths.sandbox_state)
    if sandbox is None:
        print("callwarden: give --spool DIR (no sandbox here)", file=sys.stderr)
        return None
    return sandbox.recordings
