"""``callwarden sandbox up|down|status``: the embedded Asterisk."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from console.app import App
from dialer.sandbox import default_cache, ensure_root, load_state, new_sandbox, start, status, stop


def state_file(app: App) -> Path:
    return app.settings.paths.var_dir / "sandbox.json"


def cmd_sandbox(app: App, args: argparse.Namespace, out: TextIO) -> int:
    state = state_file(app)
    current = load_state(state)
    if args.action == "status":
        print(status(current) if current else "stopped: no sandbox started here", file=out)
        return 0
    if args.action == "down":
        if current is not None:
            stop(current, state)
        print("stopped", file=out)
        return 0
    if current is not None and status(current).startswith("running"):
        print(status(current), file=out)
        return 0
    root = ensure_root(Path(args.root) if args.root else default_cache())
    running = start(new_sandbox(root, "main", args.agi_port or None), state)
    print(status(running), file=out)
    print(f"AMI user {running.ami_user}, secret in {state}", file=out)
    return 0
