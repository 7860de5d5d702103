"""Approved phrases (合规话术, issue 22 item 4): the shipped file, its validation, the
detector's word on every phrase, and the pure choice of situations from a case's facts."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from compliance.detector import CallContext, Detector, Utterance
from compliance.errors import PhrasesError
from compliance.lexicon import load_lexicon
from compliance.phrases import (
    REQUIRED,
    CaseFacts,
    ComplaintSeen,
    PhraseBook,
    Said,
    choose_situations,
    load_phrases,
    parse_phrases,
    shipped_phrases_dir,
    tripped,
)
from tests.helpers import english

SHIPPED = load_phrases("cn-default")
DETECTOR = Detector(load_lexicon("cn-default"))
CONTACTS = {
    "debtor": ("debtor",),
    "third_party": ("family", "colleague"),
    "any": ("debtor", "family"),
}


def _every_phrase() -> list[tuple[str, str, str]]:
    return [
        (situation, contact, phrase)
        for situation, spec in SHIPPED.situations.items()
        for phrase in spec.phrases
        for contact in CONTACTS[spec.audience]
    ]


@pytest.mark.parametrize(("situation", "contact", "phrase"), _every_phrase())
def test_no_shipped_phrase_is_flagged_by_the_shipped_lexicon(
    situation: str, contact: str, phrase: str
) -> None:
    """Said by the agent to its audience, no approved phrase flags or asks QA to listen."""
    found = DETECTOR.detect([Utterance("agent", 0.0, 4.0, phrase)], CallContext(contact))
    assert found.flags == () and found.review == (), (situation, phrase, found)


def test_the_shipped_phrases_cover_the_situations_and_the_issues_wording() -> None:
    assert set(REQUIRED) <= set(SHIPPED.situations)
    assert SHIPPED.situations["third_party"].audience == "third_party"
    waiver = SHIPPED.situations["waiver_request"]
    assert any("向银行书面申请" in p for p in waiver.phrases)
    assert "减免" in waiver.cues
    assert tripped(SHIPPED, DETECTOR, "cn-default.toml") == []


def test_a_phrase_the_detector_flags_is_named_with_its_situation_and_audience() -> None:
    data = SHIPPED.model_dump()
    data["situations"]["waiver_request"]["phrases"] = ["利息全免，剩下的不用还了。"]
    data["situations"]["third_party"]["phrases"] = ["他欠了银行的钱一直没还。"]
    problems = english(tripped(PhraseBook.model_validate(data), DETECTOR, "x.toml"))
    assert any(
        p.startswith("x.toml: situations.waiver_request.phrases[0]: said to the debtor")
        and "Unauthorised promise (waiver, instalments, credit record) (waiver." in p
        for p in problems
    ), problems
    assert any(
        p.startswith("x.toml: situations.third_party.phrases[0]: said to a third party")
        and "Debt disclosed to a third party (" in p
        for p in problems
    ), problems


def _shipped_text() -> str:
    return (shipped_phrases_dir() / "cn-default.toml").read_text(encoding="utf-8")


def _problems(text: str) -> list[str]:
    with pytest.raises(PhrasesError) as caught:
        parse_phrases(Path("p.toml"), text.encode("utf-8"))
    return english(caught.value)


def _line(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_an_unknown_key_or_a_wrong_audience_names_the_file_line_and_key() -> None:
    text = _shipped_text().replace('audience = "third_party"', 'audience = "neighbours"')
    text = text.replace('title = "投诉渠道"', 'title = "投诉渠道"\ncolour = "red"')
    problems = _problems(text)
    audience = _line(text, 'audience = "neighbours"')
    colour = _line(text, 'colour = "red"')
    assert any(
        p.startswith(f"p.toml:{audience}: situations.third_party.audience:") for p in problems
    )
    assert f"p.toml:{colour}: situations.complaint_channel.colour: unknown key" in problems


def test_a_missing_situation_an_empty_phrase_and_a_bad_id_are_refused() -> None:
    text = _shipped_text().replace("[situations.complaint_channel]", "[situations.Complaints]")
    text = text.replace('"在您的问题处理完之前，我们会暂停联系您。"', '"  "')
    problems = _problems(text)
    assert any("situations.complaint_channel: missing" in p for p in problems), problems
    assert any("situations.Complaints.phrases" in p and "empty" in p for p in problems), problems
    assert _problems("version = \n") and _problems("x")[0].startswith("p.toml:1: not valid TOML")
    assert _problems(b"\xff".decode("latin-1"))  # not the file's own text: still refused


def test_the_admins_copy_is_found_first(tmp_path: Path) -> None:
    text = _shipped_text().replace('version = "2026.12.01"', 'version = "admins"')
    (tmp_path / "cn-default.toml").write_text(text, encoding="utf-8")
    assert load_phrases("cn-default", search=(tmp_path,)).version == "admins"
    with pytest.raises(PhrasesError) as caught:
        load_phrases("nope", search=(tmp_path,))
    assert "phrases 'nope' not found in" in english(caught.value)[0]


# -- which situations a case calls for ------------------------------------------------------

DAY = date(2026, 11, 28)


def _chosen(facts: CaseFacts) -> dict[str, tuple[str, ...]]:
    return {c.situation: tuple(map(str, c.reasons)) for c in choose_situations(SHIPPED, facts)}


def test_a_case_with_nothing_particular_calls_for_nothing() -> None:
    assert _chosen(CaseFacts()) == {}
    said = (Said("call", DAY, "好的，我月底前还。"), Said("note", DAY, "本人接听，协商中"))
    assert _chosen(CaseFacts(said=said)) == {}


def test_a_third_party_number_calls_for_the_third_party_script() -> None:
    assert _chosen(CaseFacts(third_parties=("家属", "同事", "家属"))) == {
        "third_party": ("本案有第三方联系人：家属、同事",)
    }
    about_to = _chosen(CaseFacts(third_parties=("家属",), dialling_third_party="家属"))
    assert about_to["third_party"][0] == "本次拨打的是第三方（家属）的号码"


def test_a_waiver_asked_for_in_a_note_or_on_a_call_calls_for_the_waiver_wording() -> None:
    said = (
        Said("note", date(2026, 11, 20), "债务人要求减免利息"),
        Said("call", date(2026, 11, 25), "利息能不能免掉一点"),
        Said("call", date(2026, 11, 10), "能不能打个折"),
    )
    chosen = _chosen(CaseFacts(said=said))
    assert chosen == {
        "waiver_request": ("对方在 2026-11-25 的通话中说到「免掉」", "2026-11-20 催记提到「减免」")
    }


def test_a_complaint_open_resolved_or_noted_calls_for_the_complaint_channel() -> None:
    seen = (
        ComplaintSeen(date(2026, 10, 1), "register"),
        ComplaintSeen(DAY, "register", open=True),
        ComplaintSeen(date(2026, 11, 2), "note"),
    )
    assert _chosen(CaseFacts(complaints=seen))["complaint_channel"] == (
        f"投诉处理中（{DAY} 登记）",
        "2026-11-02 催记记为投诉倾向",
        "曾有投诉（2026-10-01 登记，已办结）",
    )


def test_a_refusal_or_a_broken_promise_calls_for_the_lawful_notice() -> None:
    chosen = _chosen(CaseFacts(refused_on=DAY, broken_promise_due=date(2026, 11, 30)))
    assert chosen == {
        "lawful_consequences": (f"{DAY} 催记：债务人拒绝还款", "承诺 2026-11-30 前还款，未兑现")
    }


def test_situations_come_in_the_books_order_and_an_added_one_opens_on_its_cues() -> None:
    data = SHIPPED.model_dump()
    data["situations"]["hardship"] = {
        "title": "困难",
        "audience": "debtor",
        "phrases": ["理解您的难处。"],
        "cues": ["失业"],
    }
    book = PhraseBook.model_validate(data)
    facts = CaseFacts(
        third_parties=("同事",), refused_on=DAY, said=(Said("call", DAY, "我失业了，想减免"),)
    )
    order = [c.situation for c in choose_situations(book, facts)]
    assert order == ["waiver_request", "third_party", "lawful_consequences", "hardship"]


def test_the_lexicon_phrases_command(tmp_path: Path) -> None:
    from tests.test_cli import run  # noqa: PLC0415

    shipped = shipped_phrases_dir() / "cn-default.toml"
    good = run(["lexicon", "phrases", str(shipped)], tmp_path)
    assert good.returncode == 0, good.stderr
    assert "4 situations, 16 phrases" in good.stdout and "none flagged" in good.stdout
    flagged = tmp_path / "cn-default.toml"
    flagged.write_text(
        _shipped_text().replace("您的意见我已经如实记录", "你再不还钱就等着坐牢"), encoding="utf-8"
    )
    bad = run(["lexicon", "phrases", str(flagged)], tmp_path)
    assert bad.returncode == 1
    # the command line speaks the console's default language
    assert f"{flagged}: situations.complaint_channel.phrases[2]：对债务人说会被标记" in bad.stdout
    broken = tmp_path / "broken.toml"
    broken.write_text('version = "x"\n', encoding="utf-8")
    refused = run(["lexicon", "phrases", str(broken), "--lexicon", "cn-default"], tmp_path)
    assert refused.returncode == 3 and "phrases rejected" in refused.stderr
    assert "situations：缺少此项" in refused.stderr
