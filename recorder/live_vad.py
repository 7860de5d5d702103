"""Speech pieces from a stream of PCM as it arrives (pure: no I/O, no clock).

The same ring-buffer scheme as :mod:`recorder.vad`, fed incrementally: bytes
come in any split (half a sample, half a frame), and a piece is handed out as
soon as its end is decided, padding included, so a live decoder can start on
it at once. Speech that goes on longer than ``max_piece_s`` is cut into pieces
of that length (marked not ``final``) so a long stretch is still checked while
it is being said. Segments are not merged across gaps here: waiting for a
possible continuation would add ``merge_gap_ms`` to every alert.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
import webrtcvad

from recorder.audio import Samples
from recorder.vad import VadSettings


@dataclass(frozen=True)
class Piece:
    start: float
    end: float
    """Seconds from the start of this direction's recording."""
    samples: Samples
    final: bool
    """False where a long utterance was cut at ``max_piece_s`` and goes on."""


@dataclass
class StreamSegmenter:
    """Feed bytes with :meth:`feed`; call :meth:`finish` when the file stops growing."""

    rate: int
    settings: VadSettings = field(default_factory=VadSettings)
    max_piece_s: float = 5.0
    _vad: webrtcvad.Vad = field(init=False)
    _pending: bytes = field(init=False, default=b"")
    _index: int = field(init=False, default=0)
    _ring: deque[tuple[int, bool, bytes]] = field(init=False)
    _start: int | None = field(init=False, default=None)
    _speech: list[bytes] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.settings.frame_ms not in (10, 20, 30):
            raise ValueError(
                f"frame_ms: webrtcvad takes 10, 20 or 30, not {self.settings.frame_ms}"
            )
        self._vad = webrtcvad.Vad(self.settings.aggressiveness)
        self._ring = deque(maxlen=self._window)

    @property
    def _window(self) -> int:
        return max(1, self.settings.padding_ms // self.settings.frame_ms)

    @property
    def _frame_bytes(self) -> int:
        return self.rate * self.settings.frame_ms // 1000 * 2

    @property
    def heard_s(self) -> float:
        """How much of the stream has been classified, in seconds."""
        return self._index * self.settings.frame_ms / 1000

    def feed(self, pcm: bytes) -> list[Piece]:
        """Pieces whose end is now known, in time order."""
        data = self._pending + pcm
        step = self._frame_bytes
        whole = len(data) - len(data) % step
        self._pending = data[whole:]
        out: list[Piece] = []
        for pos in range(0, whole, step):
            piece = self._frame(data[pos : pos + step])
            if piece is not None:
                out.append(piece)
        return out

    def finish(self) -> list[Piece]:
        """The stream ended (the call hung up): speech still open is a piece."""
        if self._start is None:
            return []
        piece = self._cut(self._index, final=True)
        self._start = None
        return [piece] if piece is not None else []

    def _frame(self, frame: bytes) -> Piece | None:
        index = self._index
        self._index += 1
        speech = self._vad.is_speech(frame, self.rate)
        self._ring.append((index, speech, frame))
        voiced = sum(1 for _, s, _ in self._ring if s)
        window = self._window
        if self._start is None:
            if voiced >= self.settings.trigger_ratio * window:
                self._start = self._ring[0][0]
                self._speech = [f for _, _, f in self._ring]
                self._ring.clear()
            return None
        self._speech.append(frame)
        if len(self._ring) - voiced >= self.settings.trigger_ratio * window:
            self._ring.clear()
            piece = self._cut(index + 1, final=True)
            self._start = None
            return piece
        if (index + 2 - self._start) * self.settings.frame_ms / 1000 > self.max_piece_s:
            # one more frame would pass the limit: cut here
            piece = self._cut(index + 1, final=False)
            self._start = index + 1
            return piece
        return None

    def _cut(self, end: int, final: bool) -> Piece | None:
        assert self._start is not None
        frame_s = self.settings.frame_ms / 1000
        samples = np.frombuffer(b"".join(self._speech), dtype="<i2").copy()
        self._speech = []
        start = self._start
        if final and (end - start) * frame_s < self.settings.min_speech_ms / 1000:
            return None  # a click or a breath
        return Piece(round(start * frame_s, 3), round(end * frame_s, 3), samples, final)
