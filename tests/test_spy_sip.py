"""Listen, whisper, barge and a whisper prompt over real SIP/RTP (issue 18 items 5 and 2).

Four calls at once through the embedded Asterisk to the simulated phone network, each bridged
by the real ``callwarden-answered`` dialplan (the agent's leg gets the call's spy group). Every
phone plays a tone of its own (agent 600 Hz, callee 1000 Hz, supervisor 1700 Hz, the prompt
1400 Hz) and records what it receives (MixMonitor's ``r()`` on the phone's side). Then a
supervisor's phone is originated into ChanSpy on call 1 to listen, call 2 to whisper, call 3 to
barge, and a whisper prompt is played into call 4; each phone's received audio says who heard
whom.
"""

from __future__ import annotations

import contextlib
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from dialer.agi import AgiSession
from dialer.ami import AmiEvent, OriginateRequest, PystAmi
from dialer.sandbox import Sandbox, default_cache, ensure_root, instance_name, new_sandbox, start
from dialer.sandbox import stop as stop_sandbox
from dialer.sandbox.phones import start_phones
from dialer.spy import SpyMode, prompt_request, spy_request
from tests.test_sandbox import AgiThread

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

RATE = 8000
TONES = {"agent": 600.0, "callee": 1000.0, "supervisor": 1700.0, "prompt": 1400.0}
MODES = {1: SpyMode.LISTEN, 2: SpyMode.WHISPER, 3: SpyMode.BARGE}
PROMPTED = 4
CALLS = (1, 2, 3, PROMPTED)
HEARD = 1000.0
"""A tone at least this loud (of 8,000 played) in some half second was received."""
SILENT = 100.0
"""A tone never this loud in any half second was not received."""


def _number(call: int) -> str:
    return f"+861390000000{call}"


class Gate(AgiThread):
    """Lets every call through to agent phone ``t0N`` for attempt N, recording as the
    dialer does (so the agent's leg is bridged exactly as in a campaign)."""

    def __init__(self) -> None:
        super().__init__()
        self.server.handlers["gate"] = self.gate
        self.recordings = ""

    async def gate(self, session: AgiSession) -> None:
        attempt = await session.get_variable("CW_ATTEMPT")
        await session.set_variable("CW_DECISION", "allow")
        await session.set_variable("CW_REC", f"{self.recordings}/attempt-{attempt}")
        await session.set_variable("CW_AGENT", f"PJSIP/t0{attempt}@simnet")


def _phones_dialplan(home: str) -> str:
    """Each phone answers, records what it receives, plays its tone for 16 s, hangs up."""
    lines = []
    for call in CALLS:
        for exten, tone in ((f"t0{call}", "agent"), (_number(call), "callee")):
            lines += [f"exten => {exten},1,Answer()"]
            lines += _record_and_play(home, exten, tone)
        lines += [
            f"exten => s0{call},1,Answer()",
            *_record_and_play(home, f"s0{call}", "supervisor"),
        ]
    return "\n".join(lines) + "\n"


def _record_and_play(home: str, exten: str, tone: str) -> list[str]:
    return [
        f" same => n,MixMonitor({exten}-mix.wav,r({exten}-heard.wav))",
        f" same => n,Playback({home}/sounds/{tone})",
        " same => n,Hangup()",
    ]


def _write_tone(path: Path, hz: float, seconds: float = 16.0) -> None:
    t = np.arange(int(seconds * RATE)) / RATE
    samples = (8000 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())


@dataclass(frozen=True)
class Net:
    core: Sandbox
    phones: Sandbox


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    work = tmp_path_factory.mktemp("spy")
    with contextlib.ExitStack() as cleanup:  # whatever fails, what started is stopped
        gate = Gate()
        cleanup.callback(gate.close)
        core = new_sandbox(ensure_root(default_cache()), instance_name("s", work), gate.port)
        gate.recordings = core.recordings_inside
        running = start(core, work / "core.json")
        cleanup.callback(stop_sandbox, running, work / "core.json")
        _write_tone(running.home / "sounds" / "prompt.wav", TONES["prompt"], 3.0)
        phones_name = f"{running.name}-phones"
        phones_home = Path(running.root) / "callwarden" / phones_name
        for tone in ("agent", "callee", "supervisor"):
            _write_tone(phones_home / "sounds" / f"{tone}.wav", TONES[tone])
        plan = _phones_dialplan(f"/callwarden/{phones_name}")
        phones = start_phones(running, {}, work / "phones.json", phones_name, plan)
        cleanup.callback(stop_sandbox, phones, work / "phones.json")
        yield Net(running, phones)


def test_listen_whisper_barge_and_prompt_reach_only_whom_they_should(net: Net) -> None:
    ami = PystAmi("127.0.0.1", net.core.ami_port, net.core.ami_user, net.core.ami_secret)
    events: list[AmiEvent] = []
    ami.on_event(events.append)
    try:
        for call in CALLS:
            ami.originate(
                OriginateRequest(
                    channel=f"PJSIP/{_number(call)}@simnet",
                    context="callwarden-answered",
                    timeout_ms=6000,
                    variables={"CW_ATTEMPT": str(call), "CW_NUMBER": _number(call)},
                    action_id=f"attempt-{call}",
                )
            )
        _wait(lambda: _count(events, "BridgeEnter") >= 2 * len(CALLS), "every call bridged")
        for call, mode in MODES.items():
            ami.originate(spy_request(f"PJSIP/s0{call}@simnet", call, mode, f"spy-{call}"))
        ami.originate(prompt_request(PROMPTED, f"{net.core.home_inside}/sounds/prompt"))
        # callees, agents, the supervisors and the prompt's two Local halves
        everyone = 2 * len(CALLS) + len(MODES) + 2
        _wait(lambda: _count(events, "Hangup") >= everyone, "every channel hung up")
    finally:
        ami.close()
    spies = [e for e in events if e.name == "ChanSpyStart"]
    assert len(spies) == len(MODES) + 1, [e.headers for e in spies]

    phones = [f"t0{c}" for c in CALLS] + [f"s0{c}" for c in MODES] + [_number(c) for c in CALLS]
    heard = {p: _loudest(_closed(net.phones.recordings / f"{p}-heard.wav")) for p in phones}
    print("\n" + "\n".join(f"{k}: {v}" for k, v in heard.items()))
    for call, mode in MODES.items():
        agent, callee, boss = heard[f"t0{call}"], heard[_number(call)], heard[f"s0{call}"]
        assert agent["callee"] > HEARD and callee["agent"] > HEARD, (mode, agent, callee)
        assert boss["agent"] > HEARD and boss["callee"] > HEARD, (mode, boss)
        to_agent = mode in {SpyMode.WHISPER, SpyMode.BARGE}
        to_callee = mode is SpyMode.BARGE
        assert (agent["supervisor"] > HEARD) if to_agent else (agent["supervisor"] < SILENT)
        assert (callee["supervisor"] > HEARD) if to_callee else (callee["supervisor"] < SILENT)
    agent, callee = heard[f"t0{PROMPTED}"], heard[_number(PROMPTED)]
    assert agent["prompt"] > HEARD and callee["prompt"] < SILENT, (agent, callee)
    assert agent["callee"] > HEARD and callee["agent"] > HEARD


def _count(events: list[AmiEvent], name: str) -> int:
    return sum(1 for e in list(events) if e.name == name)


def _wait(done: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not seen within {timeout:.0f} s: {what}"
        time.sleep(0.1)


def _closed(path: Path) -> Path:
    """``path`` once MixMonitor has closed it (it writes the header's sizes last)."""

    def header_final() -> bool:
        if not path.is_file() or path.stat().st_size <= 44:
            return False
        with path.open("rb") as wav:
            wav.seek(40)
            return int.from_bytes(wav.read(4), "little") == path.stat().st_size - 44

    _wait(header_final, f"{path.name} closed", 30.0)
    return path


def _loudest(path: Path) -> dict[str, float]:
    """Per tone, its amplitude in the half second where it was loudest."""
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    frame = RATE // 2
    window = np.hanning(frame)
    freqs = np.fft.rfftfreq(frame, 1 / RATE)
    loudest = dict.fromkeys(TONES, 0.0)
    for at in range(0, len(samples) - frame + 1, frame // 2):
        spectrum = np.abs(np.fft.rfft(samples[at : at + frame] * window))
        for name, hz in TONES.items():
            band = spectrum[np.abs(freqs - hz) <= 12]
            amplitude = float(np.sqrt(np.sum(band**2)) * 4 / frame)
            loudest[name] = max(loudest[name], round(amplitude))
    return loudest
