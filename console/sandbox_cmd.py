"""``callwarden sandbox up|down|status``: the embedded Asterisk, and the simulated phone
network behind it when a scenario file says who answers what.

Scenario file (JSON)::

    {"numbers": {"+8613800000001": {"behaviour": "answer", "call": "calls/cw07.wav"},
                 "+8613800000002": {"behaviour": "busy"}}}

``behaviour`` is answer, no_answer, busy or unreachable; an answering number
plays the callee side of ``call`` (a labelled stereo WAV with its JSON beside
it, ../shared/specs/labelled-calls.md), and the agent bridged to it plays the
agent side. Relative paths are read from the scenario file's folder.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from config import VarPaths
from console.app import App
from console.errors import UsageError
from dialer.sandbox import (
    default_cache,
    ensure_root,
    instance_name,
    load_state,
    new_sandbox,
    start,
    status,
    stop,
)
from dialer.sandbox.phones import BEHAVIOURS, Scenario, split_labelled_call, start_phones


def cmd_sandbox(app: App, args: argparse.Namespace, out: TextIO) -> int:
    state, phones_state = app.paths.sandbox_state, app.paths.sandbox_phones_state
    current = load_state(state)
    if args.action == "status":
        print(status(current) if current else "stopped: no sandbox started here", file=out)
        phones = load_state(phones_state)
        if phones is not None:
            print(f"phones: {status(phones)}", file=out)
        return 0
    name = instance_name("main", app.paths.root)
    if args.action == "down":
        # Without a state file (lost, or from before a crash) the instance is still found
        # by its name: the one this var dir owns.
        root = Path(args.root) if args.root else default_cache()
        core = current or new_sandbox(root, name)
        phones = load_state(phones_state) or replace(core, name=f"{name}-phones")
        stop(phones, phones_state)
        stop(core, state)
        print("stopped", file=out)
        return 0
    if current is not None and status(current).startswith("running"):
        print(status(current), file=out)
        return 0
    scenarios = read_scenarios(Path(args.phones), app.paths) if args.phones else {}
    root = ensure_root(Path(args.root) if args.root else default_cache())
    running = start(new_sandbox(root, name, args.agi_port or None), state)
    print(status(running), file=out)
    print(f"AMI user {running.ami_user}, secret in {state}", file=out)
    if scenarios:
        phones = start_phones(running, scenarios, phones_state)
        print(f"phones: {len(scenarios)} numbers, {status(phones)}", file=out)
    return 0


def read_scenarios(path: Path, paths: VarPaths) -> dict[str, Scenario]:
    """The scenario file, checked: every problem names the number and the key."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the scenario file: {exc}") from exc
    numbers = data.get("numbers") if isinstance(data, dict) else None
    if not isinstance(numbers, dict) or not numbers:
        raise UsageError(f'{path}: expected {{"numbers": {{"+86…": {{"behaviour": …}}}}}}')
    sides = paths.sandbox_sounds
    scenarios: dict[str, Scenario] = {}
    for number, spec in numbers.items():
        behaviour = spec.get("behaviour") if isinstance(spec, dict) else None
        if behaviour not in BEHAVIOURS:
            raise UsageError(f"{path}: numbers.{number}.behaviour: one of {', '.join(BEHAVIOURS)}")
        if behaviour != "answer":
            scenarios[number] = Scenario(behaviour)
            continue
        call = path.parent / str(spec.get("call", ""))
        label = call.with_suffix(".json")
        if not call.is_file() or not label.is_file():
            raise UsageError(f"{path}: numbers.{number}.call: no {call} with its .json beside it")
        channel = int(json.loads(label.read_text(encoding="utf-8")).get("agent_channel", 0))
        agent, callee = split_labelled_call(call, channel, sides)
        scenarios[number] = Scenario("answer", callee, agent, float(spec.get("rings_s", 1.0)))
    return scenarios
