"""Real calls: the core Asterisk dials the simulated phone network (a second Asterisk) over
SIP/RTP, the FastAGI gate lets them through, MixMonitor records each direction, and the
merged stereo file carries the agent on the left and the callee on the right."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from dialer.agi import AgiSession
from dialer.ami import AmiEvent, OriginateRequest, PystAmi
from dialer.outcomes import attempt_outcome
from dialer.sandbox import (
    Sandbox,
    default_cache,
    ensure_root,
    instance_name,
    new_sandbox,
    start,
    stop,
)
from dialer.sandbox.phones import Scenario, split_labelled_call, start_phones
from recorder.audio import read_recording
from recorder.merge import AGENT_CHANNEL, merge_directions
from store.enums import AttemptStatus
from tests.conftest import FIXTURES
from tests.test_sandbox import AgiThread

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]
CALLS = FIXTURES / "calls"
ANSWERING = {"+8613800000001": "cw07", "+8613800000002": "cw32"}  # cw32: agent on the right


class Gate(AgiThread):
    def __init__(self) -> None:
        super().__init__()
        self.server.handlers["gate"] = self.gate
        self.recordings = ""

    async def gate(self, session: AgiSession) -> None:
        attempt = await session.get_variable("CW_ATTEMPT")
        self.requests.append(("gate", session.request.args, attempt))
        await session.set_variable("CW_DECISION", "allow")
        await session.set_variable("CW_REC", f"{self.recordings}/attempt-{attempt}")
        await session.set_variable("CW_AGENT", "PJSIP/a01@simnet")


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Gate]]:
    work = tmp_path_factory.mktemp("calls")
    scenarios = {
        "+8613800000003": Scenario("busy"),
        "+8613800000004": Scenario("no_answer"),
        "+8613800000005": Scenario("unreachable"),
    }
    for number, call_id in ANSWERING.items():
        label = json.loads((CALLS / f"{call_id}.json").read_text(encoding="utf-8"))
        agent, callee = split_labelled_call(CALLS / f"{call_id}.wav", label["agent_channel"], work)
        scenarios[number] = Scenario("answer", callee, agent)
    with contextlib.ExitStack() as cleanup:  # whatever fails, what started is stopped
        gate = Gate()
        cleanup.callback(gate.close)
        core = new_sandbox(ensure_root(default_cache()), instance_name("c", work), gate.port)
        gate.recordings = core.recordings_inside
        running = start(core, work / "core.json")
        cleanup.callback(stop, running, work / "core.json")
        phones = start_phones(running, scenarios, work / "phones.json")
        cleanup.callback(stop, phones, work / "phones.json")
        yield running, gate


def test_a_mixed_campaign_records_every_answered_call_in_stereo(
    network: tuple[Sandbox, Gate], tmp_path: Path
) -> None:
    core, gate = network
    ami = PystAmi("127.0.0.1", core.ami_port, core.ami_user, core.ami_secret)
    events: list[AmiEvent] = []
    ami.on_event(events.append)
    numbers = [*ANSWERING, "+8613800000003", "+8613800000004", "+8613800000005"]
    try:
        for attempt, number in enumerate(numbers, start=1):
            ami.originate(
                OriginateRequest(
                    channel=f"PJSIP/{number}@simnet",
                    context="callwarden-answered",
                    timeout_ms=6000,
                    variables={"CW_ATTEMPT": str(attempt), "CW_NUMBER": number},
                    action_id=f"attempt-{attempt}",
                    channel_id=f"cw-attempt-{attempt}",
                )
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            responses = [e for e in events if e.name == "OriginateResponse"]
            hangups = [e for e in events if e.name == "Hangup"]
            if len(responses) == len(numbers) and len(hangups) >= len(numbers) + len(ANSWERING):
                break
            time.sleep(0.2)
    finally:
        ami.close()

    hangups_by_channel = {
        e.headers.get("Uniqueid"): e.headers for e in events if e.name == "Hangup"
    }
    outcomes = {
        e.headers["ActionID"]: attempt_outcome(
            e.headers,
            hangups_by_channel.get(e.headers["ActionID"].replace("attempt", "cw-attempt")),
        ).status
        for e in events
        if e.name == "OriginateResponse"
    }
    assert outcomes == {
        "attempt-1": AttemptStatus.ANSWERED,
        "attempt-2": AttemptStatus.ANSWERED,
        "attempt-3": AttemptStatus.BUSY,
        "attempt-4": AttemptStatus.NO_ANSWER,
        "attempt-5": AttemptStatus.FAILED,
    }
    assert sorted(r[2] for r in gate.requests if r[0] == "gate") == ["1", "2"]  # answered only

    for attempt, call_id in ((1, "cw07"), (2, "cw32")):
        rx = core.recordings / f"attempt-{attempt}-rx.wav"
        tx = core.recordings / f"attempt-{attempt}-tx.wav"
        merged = read_recording(merge_directions(rx, tx, tmp_path / f"{attempt}.wav"))
        label = json.loads((CALLS / f"{call_id}.json").read_text(encoding="utf-8"))
        assert merged.rate == 8000 and merged.duration == pytest.approx(label["duration"], abs=1.5)
        offset = _offset(merged.channels[1 - AGENT_CHANNEL], label)
        for line in label["transcript"]:
            start, end = (int((line[k] + offset) * 8000) for k in ("start", "end"))
            own = AGENT_CHANNEL if line["speaker"] == "agent" else 1 - AGENT_CHANNEL
            assert _rms(merged.channels[own][start:end]) > 500, (call_id, line["text"])
            assert _rms(merged.channels[1 - own][start:end]) < 50, (call_id, line["text"])


def _rms(samples: np.ndarray) -> float:  # type: ignore[type-arg]
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


def _offset(callee: np.ndarray, label: dict[str, object]) -> float:  # type: ignore[type-arg]
    """Seconds between the labelled timeline and the recording (answer and bridge delays)."""
    first = next(u for u in label["transcript"] if u["speaker"] == "callee")  # type: ignore[attr-defined]
    loud = np.flatnonzero(np.abs(callee.astype(np.int32)) > 1000)
    return float(loud[0] / 8000 - first["start"]) if len(loud) else 0.0
