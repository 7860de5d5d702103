"""The lexicon is data an admin edits: the shipped one loads, bad ones are refused (file:line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import LexiconError
from compliance.lexicon import load_lexicon, shipped_lexicons_dir
from tests.helpers import english
from tests.test_cli import run

SPEC_CATEGORIES = {
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

MINIMAL = """\
version = "t1"

[categories.threat]
title = "威胁"
speaker = "agent"

[[rules]]
id = "threat.one"
category = "threat"
phrases = ["坐牢"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexicon.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_lexicon_has_the_spec_categories_with_the_right_speakers() -> None:
    lexicon = load_lexicon("cn-default")
    assert set(lexicon.categories) == SPEC_CATEGORIES
    callee = {name for name, c in lexicon.categories.items() if c.speaker == "callee"}
    assert callee == {"complaint_tendency", "do_not_call_request"}
    third_party = {name for name, c in lexicon.categories.items() if c.contact == "third_party"}
    assert third_party == {"third_party_disclosure", "do_not_call_request"}
    assert all(any(r.category == name for r in lexicon.rules) for name in SPEC_CATEGORIES)


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    lexicon = load_lexicon(write(tmp_path, MINIMAL))
    assert lexicon.version == "t1" and lexicon.rules[0].phrases == ("坐牢",)


@pytest.mark.parametrize(
    ("edit", "line", "message"),
    [
        (
            lambda t: t.replace('phrases = ["坐牢"]', 'phrases = ["坐牢"]\ncolour = "red"'),
            11,
            "colour: unknown key",
        ),
        (
            lambda t: t.replace('category = "threat"', 'category = "threats"'),
            9,
            "category: unknown 'threats'",
        ),
        (
            lambda t: t.replace('phrases = ["坐牢"]', 'phrases = ["坐牢", "  "]'),
            10,
            "phrase 2 is empty",  # people count from one,
        ),
        (lambda t: t.replace('speaker = "agent"', 'speaker = "robot"'), 5, "speaker"),
        (
            lambda t: t.replace('phrases = ["坐牢"]', 'sequence = [["去你"]]'),
            7,
            "at least two groups",
        ),
        (lambda t: t.replace('version = "t1"', 'version = "t1'), 1, "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_file_line_and_reason(
    tmp_path: Path, edit: object, line: int, message: str
) -> None:
    assert callable(edit)
    path = write(tmp_path, edit(MINIMAL))
    with pytest.raises(LexiconError) as caught:
        load_lexicon(path)
    problem = english(caught.value)[0]
    assert problem.startswith(f"{path}:{line}:"), problem
    assert message in problem


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL.replace('category = "threat"', 'category = "nope"') + (
        '\n[[rules]]\nid = "threat.one"\ncategory = "threat"\nphrases = ["抓你"]\n'
    )
    with pytest.raises(LexiconError) as caught:
        load_lexicon(write(tmp_path, text))
    problems = english(caught.value)
    assert len(problems) == 2
    assert "used twice" in problems[1] and ":13:" in problems[1]


def test_lexicon_check_command(tmp_path: Path) -> None:
    good = run(["lexicon", "check", str(shipped_lexicons_dir() / "cn-default.toml")], tmp_path)
    assert good.returncode == 0 and "9 categories" in good.stdout
    bad = run(
        ["lexicon", "check", str(write(tmp_path, MINIMAL.replace('threat"\n', 'x"\n')))], tmp_path
    )
    assert bad.returncode == 3
    assert "lexicon rejected" in bad.stderr and "lexicon.toml:" in bad.stderr


def test_a_lexicon_and_its_phrases_saved_with_a_byte_order_mark_are_read(tmp_path: Path) -> None:
    from compliance.lexicon.load import parse_lexicon  # noqa: PLC0415
    from compliance.phrases.load import parse_phrases, shipped_phrases_dir  # noqa: PLC0415

    lexicon = shipped_lexicons_dir() / "cn-default.toml"
    read = parse_lexicon(lexicon, b"\xef\xbb\xbf" + lexicon.read_bytes())
    assert read == parse_lexicon(lexicon, lexicon.read_bytes())
    phrases = shipped_phrases_dir() / "cn-default.toml"
    assert parse_phrases(phrases, b"\xef\xbb\xbf" + phrases.read_bytes())
    with pytest.raises(LexiconError) as caught:
        parse_lexicon(lexicon, "名".encode("gbk") + lexicon.read_bytes())
    assert english(caught.value) == [f"{lexicon}:1: not UTF-8 text"]
