"""Where someone speaks: webrtcvad over one channel, with padding and merging.

The classic ring-buffer scheme: a segment starts when most of the last
``padding_ms`` of frames are speech and ends when most of them are not; its
edges keep that padding, so first and last syllables are not clipped.
Segments closer than ``merge_gap_ms`` are joined (one utterance, one decode),
but never beyond ``max_segment_s`` (Whisper reads at most 30 s at a time).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import webrtcvad

from recorder.audio import Samples


@dataclass(frozen=True)
class VadSettings:
    aggressiveness: int = 2
    """webrtcvad mode, 0–3: higher drops more non-speech (and more quiet speech)."""
    frame_ms: int = 30
    """Frame length in milliseconds: 10, 20 or 30 (webrtcvad's choices)."""
    padding_ms: int = 300
    """Window, in milliseconds, over which speech starts and stops are decided."""
    trigger_ratio: float = 0.8
    """Share of speech frames in the window that opens (or, as non-speech, closes) a segment."""
    merge_gap_ms: int = 400
    """Segments closer than this many milliseconds are one segment."""
    min_speech_ms: int = 200
    """Shorter segments (clicks, breaths) are dropped."""
    max_segment_s: float = 25.0
    """No merged segment grows past this many seconds."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    """Seconds from the start of the recording."""


def speech_segments(samples: Samples, rate: int, settings: VadSettings) -> list[Segment]:
    """Speech segments of one channel, in time order."""
    frame_len = rate * settings.frame_ms // 1000
    frame_s = settings.frame_ms / 1000
    vad = webrtcvad.Vad(settings.aggressiveness)
    window = max(1, settings.padding_ms // settings.frame_ms)
    ring: deque[tuple[int, bool]] = deque(maxlen=window)
    raw: list[Segment] = []
    start: int | None = None
    count = len(samples) // frame_len
    pcm = np.ascontiguousarray(samples[: count * frame_len]).tobytes()
    step = frame_len * 2
    for index in range(count):
        speech = vad.is_speech(pcm[index * step : (index + 1) * step], rate)
        ring.append((index, speech))
        voiced = sum(1 for _, s in ring if s)
        if start is None and voiced >= settings.trigger_ratio * window:
            start = ring[0][0]
            ring.clear()
        elif start is not None and len(ring) - voiced >= settings.trigger_ratio * window:
            raw.append(Segment(start * frame_s, (index + 1) * frame_s))
            start = None
            ring.clear()
    if start is not None:
        raw.append(Segment(start * frame_s, count * frame_s))
    return _merged(raw, settings)


def _merged(segments: list[Segment], settings: VadSettings) -> list[Segment]:
    out: list[Segment] = []
    for segment in segments:
        if out and (
            segment.start - out[-1].end <= settings.merge_gap_ms / 1000
            and segment.end - out[-1].start <= settings.max_segment_s
        ):
            out[-1] = Segment(out[-1].start, segment.end)
        else:
            out.append(segment)
    least = settings.min_speech_ms / 1000
    return [Segment(round(s.start, 3), round(s.end, 3)) for s in out if s.end - s.start >= least]
