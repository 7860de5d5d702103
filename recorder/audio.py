"""Read a call recording: a 16-bit PCM WAV, mono or stereo, checked before use."""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recorder.errors import BadRecording

ACCEPTED_RATES = (8000, 16000, 32000, 48000)
"""The rates webrtcvad works at; telephone recordings are 8000."""

Samples = npt.NDArray[np.int16]


@dataclass(frozen=True)
class RecordingAudio:
    rate: int
    """Samples per second."""
    channels: tuple[Samples, ...]
    """One array of 16-bit samples per channel."""

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.channels[0]) / self.rate if self.channels else 0.0


def read_recording(path: Path) -> RecordingAudio:
    """The samples of ``path``; :class:`BadRecording` says what is wrong with it otherwise."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadRecording(f"{path}: cannot read: {exc.strerror}") from exc
    if size == 0:
        raise BadRecording(f"{path}: empty file (0 bytes)")
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            declared = wav.getnframes()
            raw = wav.readframes(declared)
    except (wave.Error, EOFError) as exc:
        raise BadRecording(f"{path}: not a PCM WAV file ({exc})") from exc
    if width != 2:
        raise BadRecording(f"{path}: {8 * width}-bit samples; only 16-bit PCM is taken")
    if channels not in (1, 2):
        raise BadRecording(f"{path}: {channels} channels; only mono or stereo is taken")
    if rate not in ACCEPTED_RATES:
        raise BadRecording(f"{path}: {rate} Hz; expected one of {ACCEPTED_RATES}")
    frames = len(raw) // (width * channels)
    if frames < declared:
        raise BadRecording(f"{path}: truncated: header says {declared} frames, file has {frames}")
    if frames == 0:
        raise BadRecording(f"{path}: no audio (0 frames)")
    interleaved = np.frombuffer(raw[: frames * width * channels], dtype="<i2")
    split = tuple(np.ascontiguousarray(interleaved[c::channels]) for c in range(channels))
    return RecordingAudio(rate=rate, channels=split)
