"""The detector's model: features that survive the ASR's spellings, weights as checked data,
flags and lines to listen to where no rule spoke, and what it buys on held-out calls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compliance.detector import CallContext, Detector, Utterance
from compliance.detector.classifier import features
from compliance.errors import LexiconError
from compliance.evaluation import read_labelled_set
from compliance.evaluation.run import evaluate
from compliance.evaluation.train import heard_lines
from compliance.lexicon import load_lexicon, parse_lexicon
from compliance.lexicon.trained import CategoryModel, ClassifierModel, parse_model
from tests.helpers import english

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = load_lexicon("cn-default")


def test_homophones_and_near_homophones_share_sound_features() -> None:
    # what Whisper wrote for what was said, on held-out telephone audio
    assert "pzuo lao" in features("做牢") and "pzuo lao" in features("坐牢")
    assert "t坐牢" not in features("做牢")
    heard, said = features("检免"), features("减免")
    assert {k for k in heard if k.startswith("k")} & {k for k in said if k.startswith("k")}
    assert not {k for k in heard if k.startswith("t") and len(k) > 2} & set(said)


def test_features_stop_at_clause_breaks_and_know_where_they_are() -> None:
    found = features("你好，坐牢")
    assert "t好坐" not in found and "t好，" not in found
    assert found["t坐牢"] == (3, 5)
    assert features("您好") == features("你好")  # 您 folds to 你, as the rules see it


def _model(**categories: CategoryModel) -> ClassifierModel:
    return ClassifierModel("t1", categories)


THREAT = CategoryModel(
    bias=-3.0, weights={"t月亮升": 4.0, "pguan qi lai": 4.0}, flag_at=0.7, review_at=0.4
)
WEAK = CategoryModel(bias=-3.0, weights={"t月亮升": 3.0}, flag_at=0.7, review_at=0.4)


def _detector(model: ClassifierModel) -> Detector:
    return Detector(SHIPPED.with_trained(model))


def test_the_model_flags_what_no_rule_knows_and_names_its_clause() -> None:
    # a made-up weight on a made-up phrase: no rule can know it; the sound (pinyin) feature
    # fires on a homophone of what the model learnt (官起来 ~ 关起来)
    said = [Utterance("agent", 1.0, 4.0, "喂，你再拖着不还，迟早把你官起来，听见没有")]
    rules_only = Detector(SHIPPED.with_trained(None)).detect(said, CallContext("debtor"))
    assert not [f for f in rules_only.flags if f.category == "threat"]
    found = _detector(_model(threat=THREAT)).detect(said, CallContext("debtor"))
    (flag,) = [f for f in found.flags if f.category == "threat"]
    assert (flag.match, flag.rule_id, flag.severity, flag.kind) == (
        "model",
        "model.threat",
        3,
        "violation",
    )
    assert (
        flag.matched == "迟早把你官起来"
        and said[0].text[flag.char_start : flag.char_end] == flag.matched
    )
    assert flag.detector_version.endswith("+t1")


def test_the_model_keeps_to_who_can_say_what() -> None:
    callee = [Utterance("callee", 0.0, 2.0, "你们想把我官起来吗")]
    assert not _detector(_model(threat=THREAT)).detect(callee, CallContext("debtor")).flags
    # third-party disclosure is nothing on a call to the debtor, whatever the model says
    told = CategoryModel(bias=5.0, weights={}, flag_at=0.5, review_at=0.3)
    agent = [Utterance("agent", 0.0, 2.0, "月亮升起来了")]  # no rule: the model alone
    detector = _detector(_model(third_party_disclosure=told))
    assert not detector.detect(agent, CallContext("debtor")).flags
    # to a party nobody knows (a recording without call data), talk of the debt is no
    # disclosure on the model's word alone
    assert not detector.detect(agent, CallContext("unknown")).flags
    assert (
        detector.detect(agent, CallContext("family")).flags[0].category == "third_party_disclosure"
    )


def test_between_review_at_and_flag_at_a_person_listens_and_nothing_is_flagged() -> None:
    said = [Utterance("agent", 0.0, 2.0, "月亮升起来了")]  # p = 0.5
    found = _detector(_model(threat=WEAK)).detect(said, CallContext("debtor"))
    assert not found.flags
    (review,) = found.review
    assert (review.category, review.rule_id, review.matched) == (
        "threat",
        "model.threat",
        "月亮升起来了",
    )
    assert 0.4 < 1 - review.cost < 0.7


def test_a_rules_flag_comes_before_the_models() -> None:
    said = [Utterance("agent", 0.0, 3.0, "我们明天就去你单位闹，把你关起来")]
    found = _detector(_model(threat=THREAT)).detect(said, CallContext("debtor"))
    (flag,) = [f for f in found.flags if f.category == "threat"]
    assert flag.match != "model"


def test_a_broken_model_file_is_refused_naming_file_and_key(tmp_path: Path) -> None:
    where = "x.model.json"
    with pytest.raises(LexiconError, match=r"x\.model\.json: not JSON"):
        parse_model(where, b"{")
    good = _model(threat=THREAT).as_json()
    assert parse_model(where, json.dumps(good).encode()).categories["threat"] == THREAT
    bad = json.loads(json.dumps(good))
    bad["categories"]["threat"]["flag_at"] = 0.2  # below review_at
    with pytest.raises(LexiconError, match=r"categories.threat: 0 < review_at <= flag_at < 1"):
        parse_model(where, json.dumps(bad).encode())
    bad["categories"]["threat"].update(flag_at=0.7, bias="high")
    with pytest.raises(LexiconError, match=r"categories.threat.bias: a number"):
        parse_model(where, json.dumps(bad).encode())
    bad["categories"]["threat"].update(bias=0, weights={"t x": float("nan")})
    with pytest.raises(LexiconError, match=r"categories.threat.weights"):
        parse_model(where, json.dumps(bad).encode().replace(b"NaN", b"1e999"))


def test_a_lexicon_naming_a_missing_model_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "config/lexicon/cn-default.toml").read_text("utf-8")
    text = text.replace('classifier = "cn-default.model.json"', 'classifier = "gone.model.json"')
    with pytest.raises(LexiconError) as caught:
        parse_lexicon(tmp_path / "mine.toml", text.encode())
    assert "classifier: gone.model.json not found" in english(caught.value)[0]
    # an admin's copy beside its own weights uses them, not the shipped ones
    (tmp_path / "gone.model.json").write_text(json.dumps(_model(threat=THREAT).as_json()))
    assert parse_lexicon(tmp_path / "mine.toml", text.encode()).trained == _model(threat=THREAT)


def test_what_the_asr_heard_is_trained_as_the_script_line_it_overlaps_most() -> None:
    lines = [
        Utterance("agent", 0.5, 3.0, "您好，我是瑞和银行的。"),
        Utterance("callee", 3.2, 4.0, "嗯。"),
        Utterance("agent", 4.2, 8.0, "再不还就去你单位找你领导。"),
        Utterance("agent", 8.4, 9.0, "听清楚了吗？"),
    ]
    heard = [
        Utterance("agent", 4.1, 6.0, "再不还就去你单位"),  # a line heard in two pieces
        Utterance("agent", 0.4, 3.1, "您好我是瑞和银行的"),
        Utterance("agent", 6.0, 8.5, "找你领导听"),  # runs into the next line: the most wins
        Utterance("callee", 0.6, 2.0, "您好我是"),  # the agent's echo on the callee's side
        Utterance("agent", 9.5, 10.0, "嗯"),  # overlaps nothing
        Utterance("callee", 3.3, 3.9, " "),
    ]
    assert heard_lines(lines, heard) == [
        (0, "您好我是瑞和银行的"),
        (2, "再不还就去你单位找你领导听"),
    ]


@pytest.mark.slow
def test_the_shipped_model_is_what_the_scripts_train() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/train_detector_model.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_held_out_transcripts_rules_and_model_together() -> None:
    """The test split's transcripts (never tuned on). Rules alone found 40 of 70 (R 0.571)."""
    calls = read_labelled_set(ROOT / "tests/fixtures/eval/test")

    def run(detector: Detector) -> tuple[float, float, int]:
        flags_by_kind: list[str] = []

        def predict(call):  # type: ignore[no-untyped-def]
            found = detector.detect(call.utterances(), CallContext(call.spec.contact_type)).flags
            flags_by_kind.extend(f.match for f in found)
            return found

        overall = evaluate(calls, predict, SHIPPED.categories).report.overall
        return overall.precision, overall.recall, flags_by_kind.count("model")

    rules = run(Detector(SHIPPED.with_trained(None)))
    both = run(Detector(SHIPPED))
    assert both[2] > 0 and rules[2] == 0
    assert both[1] >= rules[1] + 0.3 and both[1] >= 0.9
    assert both[0] >= 0.95
