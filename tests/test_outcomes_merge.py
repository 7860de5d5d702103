"""AMI events as attempt outcomes, and r/t direction files merged into agent | callee stereo."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from dialer.outcomes import attempt_outcome, ending, from_hangup, from_originate_response
from recorder.audio import read_recording
from recorder.errors import BadRecording
from recorder.merge import merge_directions
from store.enums import AttemptStatus


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Response": "Success", "Reason": "4"}, AttemptStatus.ANSWERED),
        ({"Response": "Failure", "Reason": "5"}, AttemptStatus.BUSY),
        ({"Response": "Failure", "Reason": "3"}, AttemptStatus.NO_ANSWER),
        ({"Response": "Failure", "Reason": "8"}, AttemptStatus.FAILED),
        ({"Response": "Failure", "Reason": "0"}, AttemptStatus.FAILED),
        ({"Response": "Failure"}, AttemptStatus.FAILED),
    ],
)
def test_originate_responses(headers: dict[str, str], status: AttemptStatus) -> None:
    assert from_originate_response(headers).status == status


def test_hangup_causes() -> None:
    busy = {"Cause": "17", "Cause-txt": "User busy"}
    assert from_hangup(busy, answered=False).status == AttemptStatus.BUSY
    assert from_hangup({"Cause": "19"}, answered=False).status == AttemptStatus.NO_ANSWER
    assert from_hangup({"Cause": "1"}, answered=False).status == AttemptStatus.FAILED
    normal = from_hangup({"Cause": "16", "Cause-txt": "Normal Clearing"}, answered=True)
    assert normal.status == AttemptStatus.ANSWERED and normal.cause == "normal clearing (cause 16)"


def mono(path: Path, samples: np.ndarray, rate: int = 8000) -> Path:  # type: ignore[type-arg]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(samples.astype("<i2").tobytes())
    return path


def test_directions_become_agent_left_callee_right(tmp_path: Path) -> None:
    t = np.arange(8000) / 8000
    callee = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
    agent = (np.sin(2 * np.pi * 1000 * t[:6000]) * 8000).astype(np.int16)
    rx, tx = mono(tmp_path / "c-rx.wav", callee), mono(tmp_path / "c-tx.wav", agent)
    before = rx.read_bytes(), tx.read_bytes()
    merged = read_recording(merge_directions(rx, tx, tmp_path / "c.wav"))
    assert len(merged.channels) == 2 and merged.duration == 1.0
    assert np.array_equal(merged.channels[0][:6000], agent)
    assert not merged.channels[0][6000:].any()  # the shorter side padded with silence
    assert np.array_equal(merged.channels[1], callee)
    assert (rx.read_bytes(), tx.read_bytes()) == before


def test_mismatched_directions_are_refused(tmp_path: Path) -> None:
    rx = mono(tmp_path / "rx.wav", np.zeros(800), rate=8000)
    tx = mono(tmp_path / "tx.wav", np.zeros(1600), rate=16000)
    with pytest.raises(BadRecording, match="8000 Hz but"):
        merge_directions(rx, tx, tmp_path / "out.wav")


def test_a_failed_originate_is_told_apart_by_its_hangup_cause() -> None:
    failed = {"Response": "Failure", "Reason": "0"}
    assert attempt_outcome(failed, {"Cause": "17"}).status == AttemptStatus.BUSY
    assert attempt_outcome(failed, {"Cause": "1"}).status == AttemptStatus.FAILED
    assert attempt_outcome(failed, None).status == AttemptStatus.FAILED
    ringing_out = {"Response": "Failure", "Reason": "3"}
    assert attempt_outcome(ringing_out, {"Cause": "1"}).status == AttemptStatus.NO_ANSWER


def test_an_attempt_ends_only_when_its_outcome_is_known() -> None:
    busy_response = {"Response": "Failure", "Reason": "0"}
    assert ending(False, None, None, 0) is None  # nothing heard yet
    assert ending(False, busy_response, None, 1.0) is None  # the cause is on its way
    assert ending(False, busy_response, {"Cause": "17"}, 1.0).status == AttemptStatus.BUSY  # type: ignore[union-attr]
    late = ending(False, busy_response, None, 3.5)
    assert late is not None and late.status == AttemptStatus.FAILED  # no Hangup came
    bridged = {"Response": "Success", "Reason": "4"}
    assert ending(True, bridged, None, 9.0) is None  # still talking
    assert ending(True, bridged, {"Cause": "16"}, 9.0).status == AttemptStatus.ANSWERED  # type: ignore[union-attr]
    refused = ending(False, bridged, {"Cause": "21"}, 1.0)
    assert refused is not None and refused.status == AttemptStatus.BLOCKED  # the gate said no
