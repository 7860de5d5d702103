"""Per-direction files as Asterisk's MixMonitor writes them, for tests and benchmarks: a fake
at the recorder's edge (as ``dialer.testing`` is at the dialler's), never used by the product.

MixMonitor opens each direction with sizes of 0 in the header, appends what it has buffered,
and rewrites the header when it closes the file; the live follower reads exactly that.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

from recorder.audio import Samples


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


def grow(  # noqa: PLR0917 (two files, two channels, and how fast)
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
