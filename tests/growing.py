"""Per-direction files as MixMonitor writes them, grown from a labelled stereo call."""

from __future__ import annotations

import struct
import time
from pathlib import Path

from recorder.audio import Samples, read_recording
from tests.conftest import FIXTURES


def wav_header(rate: int, data_bytes: int = 0) -> bytes:
    """A mono 16-bit header; MixMonitor writes sizes of 0 when it opens the file."""
    riff = 36 + data_bytes if data_bytes else 0
    return (
        b"RIFF"
        + struct.pack("<I", riff)
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


def directions(call_id: str) -> tuple[int, Samples, Samples]:
    """(rate, callee samples, agent samples) of a fixture call."""
    audio = read_recording(FIXTURES / "calls" / f"{call_id}.wav")
    agent, callee = audio.channels  # every fixture call has the agent on channel 0
    return audio.rate, callee, agent


def grow(
    rx: Path,
    tx: Path,
    rate: int,
    callee: Samples,
    agent: Samples,
    speed: float,
    chunk_s: float = 0.1,
) -> float:
    """Append both directions in ``chunk_s`` pieces at ``speed`` × real time; rewrite the
    headers at the end as MixMonitor does when it closes. Returns when it started (epoch s)."""
    started, wall = time.monotonic(), time.time()
    for path in (rx, tx):
        path.write_bytes(wav_header(rate))
    step = int(rate * chunk_s)
    end = len(callee)
    for pos in range(0, end, step):
        # a piece is written once it has been said (Asterisk writes what it has buffered)
        delay = started + min(pos + step, end) / rate / speed - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        for path, samples in ((rx, callee), (tx, agent)):
            with path.open("ab") as f:
                f.write(samples[pos : min(pos + step, end)].tobytes())
    for path in (rx, tx):
        size = path.stat().st_size - 44
        with path.open("r+b") as f:
            f.write(wav_header(rate, size))
    return wall
