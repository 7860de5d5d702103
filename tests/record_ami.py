"""Records the AMI event streams that ``tests/fixtures/ami/*.txt`` replay (not collected).

Runs small campaigns against the embedded Asterisk and the simulated phone network (the
fixtures of ``tests/test_campaign.py``) with a second AMI login listening, and writes every
event, in arrival order with its offset, as JSON lines. ``cut`` then makes one transcript
per call of them. The FastAGI scripts are wrapped so the moment each ran is in the stream
too, as the pseudo-event ``X-AGI``: AMI shows it only to a login with the ``agi`` read class.
What the script decided is read off what followed (the agent dialled or not).

    CW_AMI_RECORD_TO=/tmp/ami flock /tmp/cw-asterisk.lock \
        python -m pytest tests/record_ami.py -p no:cacheprovider -q
    python -m tests.record_ami /tmp/ami tests/fixtures/ami
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dialer.agi import AgiSession, Handler
from dialer.ami import AmiEvent, OriginateRequest, PystAmi
from dialer.testing import Step, Transcript
from tests import test_campaign
from tests.test_campaign import PLAN, Network, campaign
from tests.test_reservation import at

pytestmark = pytest.mark.asterisk
network = test_campaign.network  # the fixture


class Tape:
    def __init__(self) -> None:
        self.began = time.monotonic()
        self.lines: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def put(self, name: str, headers: dict[str, str]) -> None:
        with self.lock:
            at_s = round(time.monotonic() - self.began, 3)
            self.lines.append({"at": at_s, "event": name, "headers": headers})

    def event(self, event: AmiEvent) -> None:
        self.put(event.name, event.headers)

    def wrap(self, script: str, handler: Handler) -> Handler:
        async def recorded(session: AgiSession) -> None:
            await handler(session)
            env = session.request.env
            headers = {
                "Script": script,
                "Uniqueid": env.get("agi_uniqueid", ""),
                "CallerIDNum": env.get("agi_callerid", ""),
            }
            self.put("X-AGI", headers)

        return recorded

    def save(self, path: Path) -> None:
        path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in self.lines))


def _listen(network: Network, tape: Tape) -> PystAmi:
    core = network.core
    ami = PystAmi("127.0.0.1", core.ami_port, core.ami_user, core.ami_secret)
    ami.on_event(tape.event)
    return ami


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_record(sessions: Any, network: Network) -> None:
    out = Path(os.environ["CW_AMI_RECORD_TO"])
    out.mkdir(parents=True, exist_ok=True)
    core, gate, items = network.core, network.gate, network.items
    by_plan = dict(zip([*PLAN, "late1", "late2"], items, strict=True))
    (out / "numbers.json").write_text(json.dumps({k: v.e164 for k, v in by_plan.items()}))

    # 1. one agent, one call at a time: answered, busy, no answer, unreachable
    tape = Tape()
    listener = _listen(network, tape)
    plan = [by_plan[name] for name in ("cw01", "busy", "no_answer", "unreachable")]
    run = campaign(sessions, core, gate, {1: plan}, at(10))
    gate.server.handlers["gate"] = tape.wrap("gate", run.gate())
    summary = run.run()
    time.sleep(1)
    listener.close()
    tape.save(out / "outbound.jsonl")
    print("outbound", summary)

    # 2. answered at 20:00:01: the gate blocks it
    tape = Tape()
    listener = _listen(network, tape)
    late_start = at(19, 59) + timedelta(seconds=59.5)
    run = campaign(sessions, core, gate, {1: [by_plan["late1"]]}, late_start)
    gate.server.handlers["gate"] = tape.wrap("gate", run.gate())
    summary = run.run()
    time.sleep(1)
    listener.close()
    tape.save(out / "blocked.jsonl")
    print("blocked", summary)

    # 3. a debtor calls the centre: an agent is free; 4. nobody is free
    _record_inbound(sessions, network, by_plan["cw07"], out / "inbound.jsonl", free=True)
    _record_inbound(sessions, network, by_plan["cw34"], out / "inbound-closed.jsonl", free=False)


def _record_inbound(sessions: Any, network: Network, debtor: Any, path: Path, free: bool) -> None:
    core, gate = network.core, network.gate
    tape = Tape()
    listener = _listen(network, tape)
    run = campaign(sessions, core, gate, {1: []}, at(11))
    if not free:
        run.agent_dial = {}  # nobody to take the call: the dialplan says goodbye
    run.settings = dataclasses.replace(run.settings, keep_open=True, run_for_s=25)
    gate.server.handlers["inbound"] = tape.wrap("inbound", run.inbound())
    worker = threading.Thread(target=run.run)
    worker.start()
    phones = PystAmi(
        "127.0.0.1", network.phones.ami_port, network.phones.ami_user, network.phones.ami_secret
    )
    try:
        phones.originate(
            OriginateRequest(
                channel="PJSIP/95555@core",
                context="phones",
                exten=debtor.e164,
                caller_id=f"<{debtor.e164}>",
            )
        )
    finally:
        phones.close()
    worker.join(timeout=60)
    time.sleep(1)
    listener.close()
    tape.save(path)
    print(path.name, run.summary)


# ── cutting the tapes into one transcript per call ─────────────────────────
NOISE = ("TestEvent", "RTCPSent", "RTCPReceived", "FullyBooted")
"""Dropped: the test framework's events, periodic RTP statistics, and the login greeting."""
IDS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid", "ActionID")


def _tape(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [r for r in rows if r["event"] not in NOISE]


def _cut(rows: list[dict[str, Any]], tokens: set[str]) -> list[dict[str, Any]]:
    """The call's events (any id among ``tokens``) and the id-less ones within its span."""
    mine = [i for i, r in enumerate(rows) if tokens & {r["headers"].get(k) for k in IDS}]
    return [
        r
        for r in rows[mine[0] : mine[-1] + 1]
        if tokens & {r["headers"].get(k) for k in IDS} or not any(r["headers"].get(k) for k in IDS)
    ]


def _transcript(name: str, meta: dict[str, str], rows: list[dict[str, Any]]) -> Transcript:
    began = rows[0]["at"]
    steps = []
    for i, row in enumerate(rows):
        headers = dict(row["headers"])
        if row["event"] == "X-AGI":  # what the script decided shows in what followed
            dialled = any(r["event"] == "DialBegin" for r in rows[i + 1 :])
            gate = headers["Script"] == "gate"
            headers["Decision"] = (
                ("allow" if dialled else "blocked") if gate else ("agent" if dialled else "closed")
            )
            headers = {"Event": "X-AGI", **headers}
        steps.append(Step(round(row["at"] - began, 3), AmiEvent(row["event"], headers)))
    return Transcript(name, meta, tuple(steps))


def cut(tapes: Path, fixtures: Path) -> None:
    numbers = json.loads((tapes / "numbers.json").read_text())
    source = "Asterisk 22 (the embedded sandbox) and the simulated phone network"
    common = {
        "recorded": f"{source}, by tests/record_ami.py",
        "dropped": ", ".join(NOISE),
    }
    outbound = _tape(tapes / "outbound.jsonl")
    blocked = _tape(tapes / "blocked.jsonl")
    calls = [
        ("answered", outbound, 1, "cw01", "the callee answers after 0.5 s; the gate allows"),
        ("busy", outbound, 2, "busy", "the callee's side answers 486 (Hangup(17))"),
        ("no-answer", outbound, 3, "no_answer", "rings until the 5 s originate timeout"),
        ("unreachable", outbound, 4, "unreachable", "no such number: 404 (Hangup(1))"),
        ("blocked-on-answer", blocked, 5, "late1", "answered at 20:00:01: the gate blocks"),
    ]
    for name, rows, n, plan, what in calls:
        meta = {
            **common,
            "call": what,
            "action_id": f"cw-{n}",
            "channel_id": f"cw-attempt-{n}",
            "attempt": str(n),
            "e164": numbers[plan],
        }
        part = _cut(rows, {f"cw-{n}", f"cw-attempt-{n}"})
        (fixtures / f"{name}.txt").write_text(_transcript(name, meta, part).format())
    inbound = [
        ("inbound", "cw07", "a debtor calls the centre; an agent is free"),
        ("inbound-closed", "cw34", "a debtor calls the centre; no agent is free"),
    ]
    for name, plan, what in inbound:
        rows = _tape(tapes / f"{name}.jsonl")
        first = next(r for r in rows if r["event"] == "Newchannel")["headers"]["Uniqueid"]
        meta = {**common, "call": what, "e164": numbers[plan], "uniqueid": first}
        part = _cut(rows, {first})
        (fixtures / f"{name}.txt").write_text(_transcript(name, meta, part).format())


if __name__ == "__main__":
    import sys

    cut(Path(sys.argv[1]), Path(sys.argv[2]))
