"""`callwarden eval`: scoring as the spec says, on the project's own labelled calls."""

from __future__ import annotations

import importlib.util
import json
import sys
import wave
from pathlib import Path
from types import ModuleType

import pytest

from compliance.errors import LabelledSetError
from compliance.evaluation import Span, read_labelled_set, score
from tests.conftest import FIXTURES, ROOT
from tests.test_cli import run

CALLS = FIXTURES / "calls"


def callscript() -> ModuleType:
    path = ROOT / "scripts" / "calls" / "callscript.py"
    spec = importlib.util.spec_from_file_location("callscript", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["callscript"] = module
    spec.loader.exec_module(module)
    return module


# ── scoring ───────────────────────────────────────────────────────────────


def test_overlap_within_tolerance_is_a_true_positive() -> None:
    labels = [Span("c1", "threat", 10.0, 12.0)]
    assert score([Span("c1", "threat", 13.4, 14.0)], labels).overall.tp == 1
    late = score([Span("c1", "threat", 13.6, 14.0)], labels).overall
    assert (late.tp, late.fp, late.fn) == (0, 1, 1)


def test_category_and_call_must_match() -> None:
    labels = [Span("c1", "threat", 10.0, 12.0)]
    report = score([Span("c1", "insult", 10, 12), Span("c2", "threat", 10, 12)], labels)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (0, 2, 1)
    assert report.per_category["insult"].precision == 0.0
    assert report.per_category["threat"].recall == 0.0


def test_each_label_is_matched_once() -> None:
    labels = [Span("c1", "threat", 10.0, 12.0)]
    report = score([Span("c1", "threat", 10, 11), Span("c1", "threat", 11, 12)], labels)
    assert (report.overall.tp, report.overall.fp, report.overall.fn) == (1, 1, 0)
    assert report.overall.precision == 0.5 and report.overall.recall == 1.0
    assert report.overall.f1 == pytest.approx(2 / 3)


def test_categories_with_nothing_to_find_are_reported_whole() -> None:
    report = score([], [], categories=["threat"])
    assert report.as_json()["per_category"] == {
        "threat": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "tp": 0, "fp": 0, "fn": 0}
    }


# ── reading a set ─────────────────────────────────────────────────────────


def test_bad_sets_are_refused_naming_file_and_field(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"call_id": "a", "violations": [{"start": 1}]}')
    (tmp_path / "b.json").write_text("{not json")
    (tmp_path / "c.json").write_text('{"call_id": "d"}')
    (tmp_path / "d.json").write_text('{"call_id": "d"}')
    with pytest.raises(LabelledSetError) as caught:
        read_labelled_set(tmp_path, need_audio=True)
    text = "\n".join(caught.value.problems)
    assert f"{tmp_path / 'a.json'}: violations.0.category: Field required" in text
    assert f"{tmp_path / 'c.json'}: no c.wav beside it" in text
    assert f"{tmp_path / 'b.json'}: not JSON text" in text
    assert f"{tmp_path / 'd.json'}: call_id: 'd' also in {tmp_path / 'c.json'}" in text


def test_an_empty_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LabelledSetError, match="no labelled calls"):
        read_labelled_set(tmp_path)


# ── the shipped set ───────────────────────────────────────────────────────


def test_fixtures_are_the_rendered_script() -> None:
    """Every call in scripts/calls/calls.txt is a WAV + JSON pair that says what the script says."""
    module = callscript()
    script = module.parse(ROOT / "scripts" / "calls" / "calls.txt")
    assert len(script) >= 40
    for call in script:
        data = json.loads((CALLS / f"{call.call_id}.json").read_text(encoding="utf-8"))
        lines = [(u["speaker"], u["text"]) for u in data["transcript"]]
        assert lines == [(line.speaker, line.text) for line in call.lines], call.call_id
        labelled = sorted(x["category"] for x in data["violations"] + data["events"])
        assert labelled == sorted(label for line in call.lines for label in line.labels)
        assert data["contact_type"] == call.contact_type
        assert data["agent_channel"] == call.agent_channel
        with wave.open(str(CALLS / f"{call.call_id}.wav")) as wav:
            assert (wav.getnchannels(), wav.getframerate(), wav.getsampwidth()) == (2, 8000, 2)
            assert wav.getnframes() / 8000 == pytest.approx(data["duration"], abs=0.01)
        spans = [(u["start"], u["end"]) for u in data["transcript"]]
        assert all(a < b for a, b in spans) and spans == sorted(spans)
        assert spans[-1][1] <= data["duration"]


def test_the_set_has_every_category_and_every_kind_of_trap() -> None:
    calls = read_labelled_set(CALLS, need_audio=True)
    counts: dict[str, int] = {}
    for call in calls:
        for label in call.labels:
            counts[label.category] = counts.get(label.category, 0) + 1
    assert len(counts) == 9 and min(counts.values()) >= 4
    everything = "\n".join(u.text for call in calls for u in call.spec.transcript)
    for trap in (
        "我们不是公安机关",
        "我没有权限答应您",
        "依法通过诉讼途径",
        "你们是不是骗子",
        "法院真的会起诉我吗",
    ):
        assert trap in everything
    assert {call.spec.agent_channel for call in calls} == {0, 1}
    assert {call.spec.contact_type for call in calls} >= {
        "debtor",
        "family",
        "colleague",
        "emergency",
        "other",
    }


def test_eval_on_transcripts_meets_the_goals_and_beats_keyword_qa(tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    ours = run(
        ["eval", str(CALLS), "--text-only", "--json", "--predictions", str(predictions)], tmp_path
    )
    assert ours.returncode == 0, ours.stderr
    report = json.loads(ours.stdout)
    assert report["overall"]["f1"] >= 0.95
    assert all(c["f1"] >= 0.9 for c in report["per_category"].values()), report["per_category"]
    lines = [json.loads(line) for line in predictions.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == report["overall"]["tp"] + report["overall"]["fp"]
    assert set(lines[0]) == {"call_id", "category", "speaker", "start", "end", "text"}

    keywords = run(
        ["eval", str(CALLS), "--text-only", "--json", "--baseline", "keywords"], tmp_path
    )
    baseline = json.loads(keywords.stdout)["overall"]
    assert baseline["precision"] < report["overall"]["precision"] - 0.5


def test_eval_text_report_and_a_rejected_set(tmp_path: Path) -> None:
    text = run(["eval", str(CALLS), "--text-only"], tmp_path)
    assert text.returncode == 0 and "overall" in text.stdout and "impersonation" in text.stdout
    bad = run(["eval", str(tmp_path), "--text-only"], tmp_path)
    assert bad.returncode == 1 and "no labelled calls" in bad.stderr


def test_eval_reports_what_the_result_costs_people(tmp_path: Path) -> None:
    """False flags per hour (all calls, and the compliant ones alone) and the minutes of audio
    the listen-to-this queue asks for, counted from the calls themselves."""
    folder = tmp_path / "set"
    folder.mkdir()
    spec = {
        "contact_type": "debtor",
        "duration": 1800.0,
        "transcript": [
            # no rule and no sense: the model's weights decide nothing here
            {"speaker": "agent", "start": 0.0, "end": 6.0, "text": "您好，请问是张先生吗？"},
        ],
    }
    quiet = {**spec, "call_id": "quiet"}
    loud = {
        **spec,
        "call_id": "loud",
        "transcript": [
            {"speaker": "agent", "start": 0.0, "end": 6.0, "text": "我们是法院的，今天必须还钱。"}
        ],
    }
    for call in (quiet, loud):
        (folder / f"{call['call_id']}.json").write_text(json.dumps(call, ensure_ascii=False))
    done = run(["eval", str(folder), "--text-only", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    load = json.loads(done.stdout)["workload"]
    # an hour of calls, every one compliant (no labels), and one flag: false by definition
    assert load["hours"] == 1.0 and load["compliant_hours"] == 1.0
    assert load["false_flags_per_hour"] == 1.0 == load["compliant_false_flags_per_hour"]
    assert load["review_lines"] == 0 and load["review_minutes_per_100_calls"] == 0.0
    text = run(["eval", str(folder), "--text-only"], tmp_path).stdout
    assert "false flags per hour of calls: 1.0" in text and "待复听" in text
