"""Per-direction files grown from a labelled stereo call (the writer: ``recorder.testing``)."""

from __future__ import annotations

from recorder.audio import Samples, read_recording
from recorder.testing import grow, wav_header
from tests.conftest import FIXTURES

__all__ = ["directions", "grow", "wav_header"]


def directions(call_id: str) -> tuple[int, Samples, Samples]:
    """(rate, callee samples, agent samples) of a fixture call."""
    audio = read_recording(FIXTURES / "calls" / f"{call_id}.wav")
    agent, callee = audio.channels  # every fixture call has the agent on channel 0
    return audio.rate, callee, agent
