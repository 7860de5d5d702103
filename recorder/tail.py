"""Follow a WAV file that MixMonitor is still writing: hand out the PCM it gained.

The header is read once (Asterisk writes it with zero sizes at the start and
rewrites the sizes only when it closes the file); after that only bytes past
the audio's offset are read, so the rewrite never shows in the audio; it is
how the follower knows the call has ended (:meth:`WavTail.closed`). Whole samples only:
an odd byte waits for its other half.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recorder.errors import BadRecording
from recorder.wavfile import audio_format

HEADER_PEEK = 4096
"""Bytes read to find the header; MixMonitor's is 44."""


@dataclass(frozen=True)
class AudioStart:
    rate: int
    offset: int


def audio_start(head: bytes) -> AudioStart | None:
    """Where the audio starts, or None while the header is not all written yet (pure)."""
    try:
        channels, rate, width, offset = audio_format(head)
    except BadRecording:
        if len(head) < HEADER_PEEK:
            return None  # still being written
        raise
    if channels != 1 or width != 2:
        raise BadRecording(
            f"live follower takes mono 16-bit files, not {channels} × {width * 8} bit"
        )
    return AudioStart(rate, offset)


@dataclass
class WavTail:
    path: Path
    start: AudioStart | None = None
    _read: int = field(default=0)
    """Bytes of audio handed out so far (always even)."""

    def read_new(self) -> bytes:
        """The audio written since the last call; empty when nothing new (or no file yet)."""
        try:
            with self.path.open("rb") as f:
                if self.start is None:
                    self.start = audio_start(f.read(HEADER_PEEK))
                    if self.start is None:
                        return b""
                f.seek(self.start.offset + self._read)
                data = f.read()
        except FileNotFoundError:
            return b""
        data = data[: len(data) - len(data) % 2]
        self._read += len(data)
        return data

    def closed(self) -> bool:
        """Whether MixMonitor has closed the file: it writes the data size into the header
        only then (zero until the hangup)."""
        if self.start is None:
            return False
        try:
            with self.path.open("rb") as f:
                f.seek(self.start.offset - 4)
                size = f.read(4)
        except FileNotFoundError:
            return False
        return len(size) == 4 and size != b"\0\0\0\0"

    @property
    def read_s(self) -> float:
        return self._read / 2 / self.start.rate if self.start else 0.0
