"""Read and write a labelled call's audio: NAME.wav (the spec) or NAME.flac (lossless, smaller)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from recorder.audio import ACCEPTED_RATES, RecordingAudio, read_recording
from recorder.errors import BadRecording

FORMATS = {".wav": "WAV", ".flac": "FLAC"}


def read_call_audio(path: Path) -> RecordingAudio:
    """WAV through the recorder's own checks; FLAC checked the same way (16-bit, 1–2 channels)."""
    if path.suffix.lower() != ".flac":
        return read_recording(path)
    try:
        info = soundfile.info(str(path))
        if info.subtype != "PCM_16":
            raise BadRecording(f"{path}: {info.subtype} FLAC; only 16-bit samples are taken")
        samples = soundfile.read(str(path), dtype="int16", always_2d=True)[0]
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        raise BadRecording(f"{path}: not a readable FLAC file ({exc})") from exc
    if info.channels not in (1, 2):
        raise BadRecording(f"{path}: {info.channels} channels; only mono or stereo is taken")
    if info.samplerate not in ACCEPTED_RATES:
        raise BadRecording(f"{path}: {info.samplerate} Hz; expected one of {ACCEPTED_RATES}")
    if len(samples) == 0:
        raise BadRecording(f"{path}: no audio (0 frames)")
    channels = tuple(np.ascontiguousarray(samples[:, c]) for c in range(info.channels))
    return RecordingAudio(rate=info.samplerate, channels=channels)


def write_call_audio(path: Path, audio: RecordingAudio) -> None:
    """16-bit WAV or FLAC by the suffix; written beside and renamed, so never half a file."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise BadRecording(f"{path}: write .wav or .flac, not {path.suffix or 'no suffix'}")
    frames = np.stack(audio.channels, axis=1)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        soundfile.write(temporary, frames, audio.rate, subtype="PCM_16", format=kind)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
