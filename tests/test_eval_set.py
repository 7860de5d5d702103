"""The evaluation set (tests/fixtures/eval/{dev,test}/): what it holds and how it was made."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from compliance.evaluation import read_labelled_set
from console.call_audio import read_call_audio
from tests.conftest import FIXTURES, ROOT
from tests.test_cli import run
from tests.test_evaluation import callscript

EVAL = FIXTURES / "eval"
SCRIPTS = {"dev": "eval-dev.txt", "test": "eval-test.txt"}
CATEGORIES = {
    "impersonation",
    "threat",
    "waiver_promise",
    "insult",
    "induce_borrowing",
    "private_payment",
    "third_party_disclosure",
    "complaint_tendency",
    "do_not_call_request",
}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_the_split_is_its_rendered_script(split: str) -> None:
    module = callscript()
    script = module.parse(ROOT / "scripts" / "calls" / SCRIPTS[split])
    folder = EVAL / split
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(c.call_id for c in script)
    for call in script:
        data = json.loads((folder / f"{call.call_id}.json").read_text(encoding="utf-8"))
        assert [(u["speaker"], u["text"]) for u in data["transcript"]] == [
            (line.speaker, line.text) for line in call.lines
        ], call.call_id
        labelled = sorted(x["category"] for x in data["violations"] + data["events"])
        assert labelled == sorted(label for line in call.lines for label in line.labels)
        assert (data["contact_type"], data["agent_channel"]) == (
            call.contact_type,
            call.agent_channel,
        )
        starts = [u["start"] for u in data["transcript"]]
        assert starts == sorted(starts) and all(u["start"] < u["end"] for u in data["transcript"])
        assert data["transcript"][-1]["end"] <= data["duration"]


def test_the_set_is_large_varied_and_split_without_overlap() -> None:
    dev, test = read_labelled_set(EVAL / "dev"), read_labelled_set(EVAL / "test")
    tuned = read_labelled_set(FIXTURES / "calls")
    assert len(tuned) + len(dev) + len(test) >= 150 and len(dev) >= 40 and len(test) >= 60
    ids = [c.call_id for c in [*tuned, *dev, *test]]
    assert len(ids) == len(set(ids))
    wordings: dict[str, set[str]] = {}
    for call in [*dev, *test]:
        for label in call.labels:
            wordings.setdefault(label.category, set()).add(label.text)
    assert set(wordings) == CATEGORIES
    assert min(len(w) for w in wordings.values()) >= 10, {k: len(v) for k, v in wordings.items()}
    # none of the new labelled lines is one the detector was tuned on
    tuned_lines = {u.text for call in tuned for u in call.spec.transcript}
    assert not tuned_lines & set().union(*wordings.values())
    in_test = {x.category for call in test for x in call.labels}
    assert in_test == CATEGORIES


def test_the_test_split_has_overlap_long_lines_and_every_kind_of_trap() -> None:
    test = read_labelled_set(EVAL / "test")
    overlaps = [
        (call.call_id, b.text)
        for call in test
        for a, b in zip(call.spec.transcript, call.spec.transcript[1:], strict=False)
        if b.start < a.end
    ]
    assert len(overlaps) >= 10
    assert any(
        x.start < other.end and x.end > other.start
        for call in test
        for x in call.labels
        for other in call.spec.transcript
        if other.speaker != x.speaker
    )
    assert sum(len(x.text) >= 40 for call in test for x in call.labels) >= 5
    everything = "\n".join(u.text for call in test for u in call.spec.transcript)
    for trap in (
        "我们不是警察",  # negation
        "我没有办法答应您",  # the compliant waiver script
        "银行有权通过法律途径追讨欠款",  # lawful notice
        "你们是不是想吓唬我",  # the other party's words
        "我不会投诉你们的",  # the other party, negated
    ):
        assert trap in everything
    assert {call.spec.agent_channel for call in test} == {0, 1}
    kinds = {c.spec.contact_type for c in test}
    assert kinds == {"debtor", "family", "colleague", "emergency", "other"}
    clean = [call for call in test if not call.labels]
    assert len(clean) >= 10  # compliant calls: precision has something to lose


def test_voices_vary_in_rate_and_level() -> None:
    """Speaking rate and level differ from call to call (seeded by the id: speed ±15 %)."""
    rates, levels = [], []
    for call in read_labelled_set(EVAL / "test")[:20]:
        assert call.audio is not None and call.audio.suffix == ".flac"
        audio = read_call_audio(call.audio)
        assert audio.rate == 8000 and len(audio.channels) == 2
        chars = sum(len(u.text) for u in call.spec.transcript if u.speaker == "agent")
        seconds = sum(u.end - u.start for u in call.spec.transcript if u.speaker == "agent")
        rates.append(chars / seconds)
        levels.append(int(abs(audio.channels[call.spec.agent_channel].astype(int)).max()))
    assert max(rates) / min(rates) > 1.25
    assert max(levels) / min(levels) > 1.8


# ── the real model on a few held-out calls ────────────────────────────────


@pytest.mark.model
@pytest.mark.slow
def test_eval_under_each_condition_on_held_out_calls(tmp_path: Path) -> None:
    subset = tmp_path / "calls"
    subset.mkdir()
    for call_id in ("ts09", "ts16"):  # a complaint and a threat, the agent on either channel
        for suffix in (".flac", ".json"):
            shutil.copyfile(EVAL / "test" / f"{call_id}{suffix}", subset / f"{call_id}{suffix}")
    reports = {}
    for condition in ("clean", "bad"):
        done = run(["eval", str(subset), "--condition", condition, "--json"], tmp_path, timeout=600)
        assert done.returncode == 0, done.stderr
        reports[condition] = json.loads(done.stdout)
        assert reports[condition]["condition"] == condition
        assert set(reports[condition]["cer"]["per_speaker"]) == {"agent", "callee"}
    clean, bad = reports["clean"], reports["bad"]
    # Whisper base on these two calls today: CER 0.33, the complaint heard, the threat not
    assert clean["cer"]["cer"] < 0.5 and clean["overall"]["fp"] == 0
    assert clean["per_category"]["complaint_tendency"]["recall"] == 1.0
    assert clean["cer"]["reference_chars"] == bad["cer"]["reference_chars"]
    assert 0 < bad["cer"]["cer"] <= 1.5
