"""Text goes back to the speech piece it was heard in: a decoded segment that runs over
several packed pieces is not given whole to one of them (issue 15: held-out ts17, ts62, ts64)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from compliance.lexicon import load_lexicon
from config.settings import DetectorSettings, TranscriberSettings
from console.call_audio import read_call_audio
from tests.conftest import FIXTURES
from tests.test_transcriber import Said, _pieces, _scripted
from transcriber import Transcriber, open_transcriber


def test_a_segment_over_two_pieces_is_heard_again_piece_by_piece() -> None:
    def say(runs: list[tuple[int, float, float]], _prompted: bool) -> list[Said]:
        if len(runs) > 1:  # one segment, its timestamps from the first piece to the last
            k1, a = runs[0][:2]
            k2, b = runs[-1][0], runs[-1][2]
            return [[(a, b, f"第{k1}句第{k2}句")], [(a, b, f"第{k1}局第{k2}局")]]
        return [[(a, b, f"第{k}句") for k, a, b in runs]]

    recognizer, script = _scripted(say)
    heard = recognizer.recognise_batch([_pieces([1, 2])])
    assert [(r.text, r.alternatives) for r in heard[0]] == [("第1句", ()), ("第2句", ())]
    # the same window again would decode the same: straight on to each piece alone
    assert script.windows == [[1, 2], [1], [2]]


def test_only_the_pieces_under_a_long_segment_are_heard_again() -> None:
    def say(runs: list[tuple[int, float, float]], _: bool) -> list[Said]:
        if len(runs) == 3:
            (_, a1, b1), (_, a2, _), (_, _, b3) = runs
            return [[(a1, b1, "第1句"), (a2, b3, "第2句第3句")]]
        return [[(a, b, f"第{k}句") for k, a, b in runs]]

    recognizer, script = _scripted(say)
    heard = recognizer.recognise_batch([_pieces([1, 2, 3])])
    assert [r.text for r in heard[0]] == ["第1句", "第2句", "第3句"]
    assert script.windows[:2] == [[1, 2, 3], [2, 3]]


def test_a_segment_ending_a_little_late_still_belongs_to_its_piece() -> None:
    def say(runs: list[tuple[int, float, float]], _: bool) -> list[Said]:
        # Whisper's timestamps are coarse: each segment ends 0.2 s into what follows
        return [[(a, b + 0.8, f"第{k}句") for k, a, b in runs]]

    recognizer, script = _scripted(say)
    heard = recognizer.recognise_batch([_pieces([1, 2])])
    assert [r.text for r in heard[0]] == ["第1句", "第2句"]
    assert script.windows == [[1, 2]]  # nothing decoded twice


EVAL_TEST = FIXTURES / "eval" / "test"


@pytest.fixture(scope="module")
def prompted(tmp_path_factory: pytest.TempPathFactory) -> Transcriber:
    var = Path(os.environ.get("CALLWARDEN_TEST_VAR", tmp_path_factory.mktemp("var")))
    lexicon = load_lexicon(DetectorSettings().lexicon)
    return open_transcriber(TranscriberSettings(), var, lexicon)


@pytest.mark.model
def test_the_labelled_words_are_heard_in_the_utterance_at_their_time(
    prompted: Transcriber,
) -> None:
    """ts17: the agent's waiver (10.3-15.0 s) came back inside the 2.3-7.5 s utterance."""
    label = json.loads((EVAL_TEST / "ts17.json").read_text(encoding="utf-8"))
    heard = prompted.transcribe_audio(read_call_audio(EVAL_TEST / "ts17.flac"), 0)
    line = label["violations"][0]
    carrying = [u for u in heard if "直接给您免了" in u.text]
    assert carrying, heard
    for u in carrying:
        assert u.speaker == line["speaker"] and u.start < line["end"] and line["start"] < u.end, u
    assert all("直接给您免了" not in u.text for u in heard if u.end <= line["start"]), heard
