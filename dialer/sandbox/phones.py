"""The simulated phone network: a second Asterisk on loopback, reached over real SIP/RTP.

The core Asterisk's ``simnet`` trunk points at it. It answers as every agent
landline (``a01``…: auto-answer, play the agent side of the call it is bridged
into, named by the ``X-CW-Number`` header) and as every callee number in the
scenario: answer after a few rings and play the callee side, ring out, be
busy, or be unreachable. Nothing fakes audio: every sample crosses both
Asterisks as RTP and is recorded by the core one's MixMonitor.
"""

from __future__ import annotations

import os
import re
import shutil
import wave
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from dialer.sandbox.asterisk import Sandbox, SandboxError, free_port, start

BEHAVIOURS = ("answer", "no_answer", "busy", "unreachable")
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")


@dataclass(frozen=True)
class Scenario:
    """What one callee number does when called."""

    behaviour: str
    callee_wav: Path | None = None
    """Mono 8 kHz: the callee's side, played on answer."""
    agent_wav: Path | None = None
    """Mono 8 kHz: the agent's side, played by the agent's phone bridged to this call."""
    rings_s: float = 1.0


def split_labelled_call(stereo: Path, agent_channel: int, out: Path) -> tuple[Path, Path]:
    """Mono agent and callee WAVs from a labelled stereo call (../shared/specs format)."""
    with wave.open(str(stereo)) as wav:
        rate, frames = wav.getframerate(), wav.readframes(wav.getnframes())
    both = np.frombuffer(frames, dtype="<i2").reshape(-1, 2)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for side, channel in (("agent", agent_channel), ("callee", 1 - agent_channel)):
        path = out / f"{stereo.stem}-{side}.wav"
        with wave.open(str(path), "wb") as mono:
            mono.setnchannels(1)
            mono.setsampwidth(2)
            mono.setframerate(rate)
            mono.writeframes(np.ascontiguousarray(both[:, channel]).tobytes())
        paths.append(path)
    return paths[0], paths[1]


def dialplan(scenarios: Mapping[str, Scenario], home_inside: str) -> str:
    """One extension per number, appended to the phones' extensions.conf."""
    lines = []
    for number, scenario in sorted(scenarios.items()):
        if not _NUMBER.match(number) or scenario.behaviour not in BEHAVIOURS:
            raise SandboxError(
                f"scenario {number!r}: bad number or behaviour {scenario.behaviour!r}"
            )
        lines.append(f"exten => {number},1,NoOp({scenario.behaviour})")
        if scenario.behaviour == "answer":
            lines += [
                " same => n,Ringing()",
                f" same => n,Wait({scenario.rings_s:.1f})",
                " same => n,Answer()",
                f" same => n,Playback({home_inside}/sounds/{number}-callee)",
                " same => n,Wait(1)",
                " same => n,Hangup()",
            ]
        elif scenario.behaviour == "no_answer":
            lines += [" same => n,Ringing()", " same => n,Wait(600)"]
        elif scenario.behaviour == "busy":
            lines += [" same => n,Hangup(17)"]  # user busy: 486
        else:
            lines += [" same => n,Hangup(1)"]
    return "\n".join(lines) + "\n"


def start_phones(
    core: Sandbox,
    scenarios: Mapping[str, Scenario],
    state_file: Path,
    name: str = "",
    extra_dialplan: str = "",
) -> Sandbox:
    """Start the phone network for ``core`` (which must be configured, not necessarily up);
    ``extra_dialplan`` adds phones of a test's own (a supervisor's desk phone, say)."""
    phones = replace(
        core,
        name=name or f"{core.name}-phones",
        role="phones",
        sip_port=core.phones_port,  # it listens where the core's trunk points
        phones_port=core.sip_port,  # and trusts the core by its address
        ami_port=free_port(),
        rtp_start=core.rtp_end + 2,
        rtp_end=core.rtp_end + 100,
        pid=None,
    )
    sounds = phones.home / "sounds"
    sounds.mkdir(parents=True, exist_ok=True)
    for number, scenario in scenarios.items():
        for side, wav in (("callee", scenario.callee_wav), ("agent", scenario.agent_wav)):
            if wav is not None:
                _place(wav, sounds / f"{number}-{side}.wav")
    plan = dialplan(scenarios, phones.home_inside) + extra_dialplan
    return start(phones, state_file, extra_dialplan=plan)


def _place(wav: Path, target: Path) -> None:
    """A hard link where the filesystem allows (hundreds of numbers share a few calls), else
    a copy."""
    target.unlink(missing_ok=True)
    try:
        os.link(wav, target)
    except OSError:
        shutil.copyfile(wav, target)
