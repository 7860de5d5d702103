"""Reading recordings and finding speech: bad files say why, VAD finds each side's speech."""

from __future__ import annotations

import json
import re
import wave
from pathlib import Path

import numpy as np
import pytest

from recorder.audio import read_recording
from recorder.errors import BadRecording
from recorder.vad import VadSettings, speech_segments
from tests.conftest import FIXTURES

CALLS = FIXTURES / "calls"


def write_wav(path: Path, rate: int = 8000, channels: int = 2, frames: int = 800) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(np.zeros(frames * channels, dtype="<i2").tobytes())
    return path


def test_a_stereo_call_is_split_into_channels() -> None:
    audio = read_recording(CALLS / "cw07.wav")
    data = json.loads((CALLS / "cw07.json").read_text(encoding="utf-8"))
    assert audio.rate == 8000 and len(audio.channels) == 2
    assert audio.duration == pytest.approx(data["duration"], abs=0.01)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_bytes(b""), "empty file (0 bytes)"),
        (lambda p: p.write_bytes(b"ID3\x04 this is an mp3"), "not a PCM WAV file"),
        (lambda p: write_wav(p, rate=11025), "11025 Hz; expected one of"),
        (lambda p: write_wav(p, frames=0), "no audio (0 frames)"),
        (lambda p: write_wav(p, channels=3), "3 channels"),
    ],
)
def test_bad_recordings_say_why(tmp_path: Path, make: object, reason: str) -> None:
    path = tmp_path / "bad.wav"
    assert callable(make)
    make(path)
    with pytest.raises(BadRecording, match=re.escape(reason)):
        read_recording(path)


def test_a_truncated_recording_is_refused(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "cut.wav", frames=8000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadRecording, match="truncated: header says 8000 frames"):
        read_recording(path)


@pytest.mark.parametrize("call_id", ["cw01", "cw07", "cw28", "cw46"])
def test_vad_finds_each_line_on_its_speakers_channel(call_id: str) -> None:
    audio = read_recording(CALLS / f"{call_id}.wav")
    data = json.loads((CALLS / f"{call_id}.json").read_text(encoding="utf-8"))
    agent = data["agent_channel"]
    segments = {
        "agent": speech_segments(audio.channels[agent], audio.rate, VadSettings()),
        "callee": speech_segments(audio.channels[1 - agent], audio.rate, VadSettings()),
    }
    for line in data["transcript"]:
        own = segments[line["speaker"]]
        middle = (line["start"] + line["end"]) / 2
        assert any(s.start <= middle <= s.end for s in own), (call_id, line)
        other = segments["callee" if line["speaker"] == "agent" else "agent"]
        assert not any(s.start <= middle <= s.end for s in other), (call_id, line)


def test_silence_has_no_speech() -> None:
    assert speech_segments(np.zeros(8000 * 3, dtype=np.int16), 8000, VadSettings()) == []
