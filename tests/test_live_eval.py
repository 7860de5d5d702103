"""``eval --live``: a finished recording heard the way the live follower hears a call."""

from __future__ import annotations

import io
import json

from console.cli import main
from recorder.audio import read_recording
from recorder.vad import VadSettings
from tests.conftest import FIXTURES
from tests.test_live import Located, _where
from transcriber.asr import Audio16k, RecognisedText
from transcriber.live import hear_as_live, hear_calls_as_live

CALL = "cw07"


def _heard(arrival_s: float) -> list[tuple[str, float, float, str]]:
    audio = read_recording(FIXTURES / "calls" / f"{CALL}.wav")
    said = hear_as_live(Located(CALL), audio, 0, (VadSettings(), 5.0), arrival_s)
    return [(u.speaker, u.start, u.end, u.text) for u in said]


def test_every_labelled_line_is_heard_once_by_its_speaker_at_its_time() -> None:
    lines = json.loads((FIXTURES / "calls" / f"{CALL}.json").read_text("utf-8"))["transcript"]
    heard = _heard(2.05)
    for speaker in ("agent", "callee"):
        said = "".join(text for who, _, _, text in heard if who == speaker)
        assert said == "".join(line["text"] for line in lines if line["speaker"] == speaker)
    for line in lines:
        middle = (line["start"] + line["end"]) / 2
        assert any(
            who == line["speaker"] and start <= middle < end and line["text"] in text
            for who, start, end, text in heard
        ), line


def test_how_the_audio_arrives_does_not_change_what_is_heard() -> None:
    """The segmenter decides pieces from the stream alone: MixMonitor's 2.05 s writes, a
    finer trickle and the whole file at once give the same pieces, so the same text."""
    assert _heard(2.05) == _heard(0.3) == _heard(1000.0)


def test_live_needs_the_audio() -> None:
    err = io.StringIO()
    assert main(["eval", str(FIXTURES / "calls"), "--text-only", "--live"], out=err) == 2


def test_calls_up_together_are_heard_as_each_alone_and_decoded_in_shared_rounds() -> None:
    """Several recordings heard as calls up at once give each call what it gives alone, and
    what they finish in one arrival reaches the recogniser in one round, a group per call."""
    calls = ("cw07", "cw11")
    located = {call: Located(call) for call in calls}
    rounds: list[int] = []

    def owner(piece: Audio16k) -> Located:  # the call whose audio holds the piece
        return max(
            located.values(), key=lambda c: max(_where(s, piece)[1] for s in c.channels.values())
        )

    def recognise(groups: list[list[Audio16k]]) -> list[list[RecognisedText]]:
        rounds.append(len(groups))
        return [[owner(p).recognise_many([p])[0] for p in group] for group in groups]

    audios = [(read_recording(FIXTURES / "calls" / f"{c}.wav"), 0) for c in calls]
    together = hear_calls_as_live(recognise, audios, (VadSettings(), 5.0))
    for call, heard in zip(calls, together, strict=True):
        audio = read_recording(FIXTURES / "calls" / f"{call}.wav")
        assert heard == hear_as_live(located[call], audio, 0, (VadSettings(), 5.0))
    assert 2 in rounds  # both calls finished pieces in the same arrival: one round for both
