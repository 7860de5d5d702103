"""Packing one call's speech pieces into Whisper windows, and giving decoded text back to them.

Pure: lengths in, windows out. Whisper's encoder always reads 30 s, so decoding
each utterance alone pays for 30 s every time; packing a call's pieces with a
pause between them pays once per window. Windows never mix calls: what a
recording's pieces are decoded with depends on that recording alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

WINDOW_S = 28.0
"""Longest packed window, in seconds (Whisper reads 30 s at most)."""
GAP_S = 0.6
"""Silence between packed pieces, in seconds: Whisper ends a segment there."""

SPILL_S = 0.3
"""How far a segment's timestamps may stray into a neighbouring piece and still not count
as heard there (Whisper's timestamps are 20 ms steps, often a few tenths off)."""

Audio16k = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Window:
    """Pieces decoded together; ``spans`` are their (start, end) seconds inside the window."""

    pieces: tuple[int, ...]
    spans: tuple[tuple[float, float], ...]
    gap: int
    """Samples of silence after each piece."""

    def audio(self, pieces: Sequence[Audio16k]) -> Audio16k:
        parts: list[Audio16k] = []
        for index in self.pieces:
            parts += [pieces[index], np.zeros(self.gap, dtype=np.float32)]
        return np.concatenate(parts)

    def owner(self, start: float, end: float) -> int | None:
        """The piece a decoded segment [start, end) was heard in; ``None`` if it runs over several.

        A segment lying in one piece (give or take ``SPILL_S`` of Whisper's
        coarse timestamps) is that piece's; one in a gap goes to the nearest.
        A segment whose text runs over two pieces cannot be split at the
        boundary (its timestamps say nothing about where inside the text the
        boundary falls): given to one piece, the other's words would be heard
        at the wrong time, so it belongs to none and its pieces are decoded again.
        """
        covered = self.covered(start, end)
        if len(covered) > 1:
            return None
        if covered:
            return covered[0]

        def score(k: int) -> tuple[float, float]:
            a, b = self.spans[k]
            overlap = min(end, b) - max(start, a)
            distance = min(abs(start - b), abs(end - a))
            return (overlap, -distance)

        return self.pieces[max(range(len(self.pieces)), key=score)]

    def covered(self, start: float, end: float) -> list[int]:
        """The pieces whose speech segment [start, end) holds (see ``_covers``)."""
        return [
            k
            for k, (a, b) in zip(self.pieces, self.spans, strict=True)
            if _covers(start, end, a, b)
        ]

    def renumbered(self, numbers: Sequence[int]) -> Window:
        """The same window with its pieces named by ``numbers[piece]``."""
        return Window(tuple(numbers[i] for i in self.pieces), self.spans, self.gap)


def pack_windows(
    lengths: Sequence[int], rate: int = 16000, window_s: float = WINDOW_S
) -> list[Window]:
    """Consecutive pieces, each followed by ``GAP_S`` of silence, in windows of ``window_s``."""
    gap = int(GAP_S * rate)
    windows: list[Window] = []
    current: list[int] = []
    spans: list[tuple[float, float]] = []
    cursor = 0
    for index, length in enumerate(lengths):
        if current and cursor + length > window_s * rate:
            windows.append(Window(tuple(current), tuple(spans), gap))
            current, spans, cursor = [], [], 0
        current.append(index)
        spans.append((cursor / rate, (cursor + length) / rate))
        cursor += length + gap
    if current:
        windows.append(Window(tuple(current), tuple(spans), gap))
    return windows


def _covers(start: float, end: float, a: float, b: float) -> bool:
    """Whether segment [start, end) holds speech of piece [a, b): more than ``SPILL_S`` of it,
    or (a piece shorter than that) most of it."""
    overlap = min(end, b) - max(start, a)
    return overlap > min(SPILL_S, (b - a) / 2)
