"""A call in a year no calendar covers is refused with the year named and the checked way to
add it (``callwarden calendar add`` or the admin's calendar page), not a hint to edit the
profile's TOML by hand; the same for working-day spacing that runs into such a year."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    NumberFacts,
    PersonFacts,
    decide,
    load_profile,
)
from compliance.policy.facts import Outcome, PastAttempt

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROFILE = load_profile("cn-default", calendars=None)
FAMILY = "+8613922220001"


def test_the_reason_names_the_year_and_the_checked_way_to_add_it() -> None:
    decision = decide(
        NumberFacts("+8613911110001"),
        PersonFacts(1, ContactType.DEBTOR),
        CaseFacts(1),
        AttemptHistory(),
        datetime(2027, 1, 5, 10, tzinfo=SHANGHAI),
        PROFILE,
    )
    assert decision.rule_id == "law.statutory_holidays" and decision.next_allowed_at is None
    assert "2027" in decision.reason_en and "callwarden calendar add" in decision.reason_en
    assert "2027" in decision.reason_zh and "callwarden calendar add" in decision.reason_zh
    assert "to the profile" not in decision.reason_en


def test_spacing_into_an_unknown_year_names_the_checked_way_too() -> None:
    last = datetime(2026, 12, 30, 9, tzinfo=SHANGHAI)
    history = AttemptHistory.of([PastAttempt(last, 2, 1, FAMILY, Outcome.UNANSWERED)])
    decision = decide(
        NumberFacts(FAMILY),
        PersonFacts(2, ContactType.FAMILY),
        CaseFacts(1),
        history,
        datetime(2026, 12, 31, 10, tzinfo=SHANGHAI),
        PROFILE,
    )
    spacing = [b for b in decision.blocks if b.rule_id == "company.third_party.interval"]
    assert spacing and "callwarden calendar add" in spacing[0].reason_en
    assert "callwarden calendar add" in spacing[0].reason_zh
