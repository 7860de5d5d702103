"""Read a call recording: a 16-bit PCM WAV, mono or stereo, checked before use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recorder.errors import BadRecording
from recorder.wavfile import wav_layout

ACCEPTED_RATES = (8000, 16000, 32000, 48000)
"""The rates webrtcvad works at; telephone recordings are 8000."""

Samples = npt.NDArray[np.int16]


@dataclass(frozen=True)
class RecordingAudio:
    rate: int
    """Samples per second."""
    channels: tuple[Samples, ...]
    """One array of 16-bit samples per channel."""
    repair: str | None = None
    """Why more audio was read than the file's header said (a stale header), if it was."""

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.channels[0]) / self.rate if self.channels else 0.0


def read_recording(path: Path) -> RecordingAudio:
    """The samples of ``path``; :class:`BadRecording` says what is wrong with it otherwise.

    A header that understates the audio (a killed Asterisk's) is not believed: the audio is
    read to the end of the file and ``repair`` says so (``recorder.wavfile``). The file
    itself is never changed.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadRecording(f"{path}: cannot read: {exc.strerror}") from exc
    return parse_recording(raw, path)


def parse_recording(raw: bytes, path: Path) -> RecordingAudio:
    """The samples of a recording's bytes (``path`` names it in messages): an archived file
    is decrypted in memory and read from here, never written out in clear."""
    if not raw:
        raise BadRecording(f"{path}: empty file (0 bytes)")
    try:
        layout = wav_layout(raw)
    except BadRecording as exc:
        raise BadRecording(f"{path}: {exc}") from exc
    channels, width, rate = layout.channels, layout.width, layout.rate
    if width != 2:
        raise BadRecording(f"{path}: {8 * width}-bit samples; only 16-bit PCM is taken")
    if channels not in (1, 2):
        raise BadRecording(f"{path}: {channels} channels; only mono or stereo is taken")
    if rate not in ACCEPTED_RATES:
        raise BadRecording(f"{path}: {rate} Hz; expected one of {ACCEPTED_RATES}")
    if layout.data_bytes == 0:
        raise BadRecording(f"{path}: no audio (0 frames)")
    start = layout.data_offset
    audio = memoryview(raw)[start : start + layout.data_bytes]  # no second copy of the file
    interleaved = np.frombuffer(audio, dtype="<i2")
    split = tuple(np.ascontiguousarray(interleaved[c::channels]) for c in range(channels))
    return RecordingAudio(rate=rate, channels=split, repair=layout.repair)
