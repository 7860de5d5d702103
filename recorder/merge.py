"""Join Asterisk's per-direction recordings into the stereo file the pipeline reads.

MixMonitor runs on the callee's channel: its ``r()`` file is what the callee
said (received from them), its ``t()`` file what they heard (the agent). The
two come out aligned and of equal length (checked in Asterisk 22); a shorter
one is padded with silence at the end. Output: agent left (channel 0), callee
right, 16-bit PCM at the recordings' rate.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from recorder.audio import read_recording
from recorder.errors import BadRecording

AGENT_CHANNEL = 0


def merge_directions(rx: Path, tx: Path, out: Path) -> Path:
    """Write ``out`` (stereo: agent = tx, callee = rx); the inputs are left as they are."""
    return merge_noting_repairs(rx, tx, out)[0]


def merge_noting_repairs(rx: Path, tx: Path, out: Path) -> tuple[Path, str | None]:
    """``merge_directions``, and what was read past a direction file's stale header (a
    killed Asterisk's), for the recording's row; None when both headers were right."""
    callee, agent = read_recording(rx), read_recording(tx)
    repairs = [f"{p.name}: {a.repair}" for p, a in ((rx, callee), (tx, agent)) if a.repair]
    if len(callee.channels) != 1 or len(agent.channels) != 1:
        raise BadRecording(f"{rx.name}, {tx.name}: expected two mono direction files")
    if callee.rate != agent.rate:
        raise BadRecording(f"{rx.name} is {callee.rate} Hz but {tx.name} is {agent.rate} Hz")
    length = max(len(callee.channels[0]), len(agent.channels[0]))
    stereo = np.zeros((length, 2), dtype="<i2")
    stereo[: len(agent.channels[0]), AGENT_CHANNEL] = agent.channels[0]
    stereo[: len(callee.channels[0]), 1 - AGENT_CHANNEL] = callee.channels[0]
    partial = out.with_name(f".{out.name}.{os.getpid()}.partial")
    try:
        with wave.open(str(partial), "wb") as wav:
            wav.setnchannels(2)
            wav.setsampwidth(2)
            wav.setframerate(callee.rate)
            wav.writeframes(stereo.tobytes())
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out, "; ".join(repairs) or None
