"""The dial policy on the shipped profiles: windows, holidays, caps, holds; why not, and when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from compliance.errors import ProfileError
from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    DebtorReach,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
    decide,
    load_profile,
)
from compliance.policy.engine import CLOCK_RULE, Decision
from compliance.policy.profile import Profile
from compliance.policy.zones import zones_for_number
from tests.helpers import english

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
CN = load_profile("cn-default")
US = load_profile("us-regf")
MOBILE = "+8613812348000"
DEBTOR_GONE = CaseFacts(10, client_bank="ICBC-CC", debtor=DebtorReach(("unreachable",)))
"""A case whose debtor cannot be reached: the third-party gate lets its contacts be called."""


def cn(y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI)


def ask(
    now: datetime,
    *,
    history: list[PastAttempt] | None = None,
    contact: ContactType = ContactType.DEBTOR,
    profile: Profile = CN,
    number: NumberFacts | None = None,
    case: CaseFacts | None = None,
) -> Decision:
    return decide(
        number or NumberFacts(MOBILE, time_zones=zones_for_number(MOBILE)),
        PersonFacts(1, contact),
        case or CaseFacts(10, client_bank="ICBC-CC"),
        AttemptHistory.of(history or []),
        now,
        profile,
    )


def calls(
    times: list[datetime], outcome: Outcome, person: int = 1, case: int = 10
) -> list[PastAttempt]:
    return [PastAttempt(t, person, case, MOBILE, outcome) for t in times]


@pytest.mark.parametrize(
    ("wall", "allowed"),
    [((7, 59, 59), False), ((8, 0, 0), True), ((19, 59, 59), True), ((20, 0, 0), False)],
)
def test_window_boundary_seconds(wall: tuple[int, int, int], allowed: bool) -> None:
    decision = ask(cn(2026, 12, 1, *wall))  # a Tuesday
    assert decision.allowed is allowed
    if not allowed:
        assert "company.window" in [b.rule_id for b in decision.blocks]
        assert decision.reason_zh and decision.reason_en


def test_blocked_evening_names_next_morning() -> None:
    decision = ask(cn(2026, 12, 1, 20, 30))
    assert decision.next_allowed_at == cn(2026, 12, 2, 8)


def test_law_and_company_windows_both_bind_strictest_wins() -> None:
    late = ask(cn(2026, 12, 1, 21))
    assert [b.rule_id for b in late.blocks] == ["company.window"]
    night = ask(cn(2026, 12, 1, 23))
    assert [b.rule_id for b in night.blocks] == ["law.window", "cba.window", "company.window"]
    assert night.rule_id == "law.window"  # the first layer in the profile speaks


def test_statutory_holiday_blocks_until_the_first_working_morning() -> None:
    decision = ask(cn(2026, 10, 2, 10))
    assert not decision.allowed and decision.rule_id == "law.statutory_holidays"
    assert "法定节假日" in decision.reason_zh
    assert decision.next_allowed_at == cn(2026, 10, 8, 8)


def test_adjusted_working_saturday_and_ordinary_weekend_are_collection_days() -> None:
    assert ask(cn(2026, 10, 10, 9)).allowed  # 调休: a Saturday worked for National Day
    assert ask(cn(2026, 11, 28, 9)).allowed  # an ordinary Saturday


def test_unknown_year_blocks_with_a_reason_and_no_guess() -> None:
    decision = ask(cn(2027, 1, 5, 10))
    assert not decision.allowed and decision.rule_id == "law.statutory_holidays"
    assert "2027" in decision.reason_zh and "admin" in decision.reason_en
    assert decision.next_allowed_at is None


def test_an_admin_adds_2027_as_data(tmp_path: Path) -> None:
    path = tmp_path / "cn-2027.toml"
    path.write_text(
        'id = "cn-2027"\nversion = "1"\nextends = "cn-default"\n'
        "[[calendar]]\nyear = 2027\n"
        'holidays = ["2027-01-01", "2027-02-05", "2027-02-08"]\nworkdays = ["2027-02-14"]\n',
        encoding="utf-8",
    )
    profile = load_profile(path)
    assert ask(cn(2027, 1, 5, 10), profile=profile).allowed
    assert ask(cn(2027, 2, 14, 10), profile=profile).allowed  # an adjusted working Sunday
    holiday = ask(cn(2027, 2, 5, 10), profile=profile)
    assert not holiday.allowed and holiday.next_allowed_at == cn(2027, 2, 6, 8)
    assert ask(cn(2026, 10, 2, 10), profile=profile).rule_id == "law.statutory_holidays"


def test_three_connected_calls_a_day_then_tomorrow_morning() -> None:
    morning = [cn(2026, 12, 1, 8, 30), cn(2026, 12, 1, 9), cn(2026, 12, 1, 10)]
    two = ask(cn(2026, 12, 1, 11), history=calls(morning[:2], Outcome.CONNECTED))
    assert two.allowed and two.counters["company.cap.connected"] == 2
    three = ask(cn(2026, 12, 1, 11), history=calls(morning, Outcome.CONNECTED))
    assert not three.allowed and three.rule_id == "company.cap.connected"
    assert three.counters["company.cap.connected"] == 3
    assert three.next_allowed_at == cn(2026, 12, 2, 8)
    assert ask(cn(2026, 12, 2, 8), history=calls(morning, Outcome.CONNECTED)).allowed


def test_five_unanswered_calls_a_day() -> None:
    times = [cn(2026, 12, 1, 8 + i) for i in range(5)]
    assert ask(cn(2026, 12, 1, 14), history=calls(times[:4], Outcome.UNANSWERED)).allowed
    blocked = ask(cn(2026, 12, 1, 14), history=calls(times, Outcome.UNANSWERED))
    assert blocked.rule_id == "company.cap.unanswered"


def test_in_flight_attempts_count_as_possibly_connected() -> None:
    history = calls([cn(2026, 12, 1, 9), cn(2026, 12, 1, 10)], Outcome.CONNECTED)
    history += calls([cn(2026, 12, 1, 10, 59)], Outcome.IN_FLIGHT)
    decision = ask(cn(2026, 12, 1, 11), history=history)
    assert decision.rule_id == "company.cap.connected"


def test_calls_to_other_people_do_not_count() -> None:
    times = [cn(2026, 12, 1, 9), cn(2026, 12, 1, 10), cn(2026, 12, 1, 11)]
    assert ask(cn(2026, 12, 1, 12), history=calls(times, Outcome.CONNECTED, person=2)).allowed


def test_yesterdays_calls_do_not_count_today() -> None:
    times = [cn(2026, 12, 1, 17), cn(2026, 12, 1, 18), cn(2026, 12, 1, 19)]
    assert ask(cn(2026, 12, 2, 8), history=calls(times, Outcome.CONNECTED)).allowed


@pytest.mark.parametrize(
    "contact",
    [ContactType.FAMILY, ContactType.COLLEAGUE, ContactType.EMERGENCY, ContactType.OTHER],
)
def test_related_contacts_at_most_every_two_working_days(contact: ContactType) -> None:
    last = cn(2026, 12, 1, 10)  # a Tuesday
    history = calls([last], Outcome.UNANSWERED)
    blocked = ask(cn(2026, 12, 2, 19), history=history, contact=contact, case=DEBTOR_GONE)
    assert blocked.rule_id == "company.third_party.interval"
    assert "2 个工作日" in blocked.reason_zh and "2 working days" in blocked.reason_en
    assert blocked.next_allowed_at == cn(2026, 12, 3, 8)  # the 2nd working day, its window
    assert ask(cn(2026, 12, 3, 8), history=history, contact=contact, case=DEBTOR_GONE).allowed
    assert ask(cn(2026, 12, 2, 10), history=history, contact=ContactType.DEBTOR).allowed


def test_working_day_interval_skips_the_weekend() -> None:
    history = calls([cn(2026, 12, 4, 10)], Outcome.CONNECTED)  # a Friday
    for day in (5, 6, 7):  # Saturday and Sunday are collection days, but not working days
        blocked = ask(
            cn(2026, 12, day, 10), history=history, contact=ContactType.FAMILY, case=DEBTOR_GONE
        )
        assert blocked.rule_id == "company.third_party.interval", day
    assert blocked.next_allowed_at == cn(2026, 12, 8, 8)  # Monday is the 1st, Tuesday the 2nd


def test_adjusted_working_day_counts_toward_the_interval() -> None:
    history = calls([cn(2026, 10, 9, 10)], Outcome.CONNECTED)  # Friday; Saturday 10-10 is 调休
    family = {"contact": ContactType.FAMILY, "case": DEBTOR_GONE}
    assert ask(cn(2026, 10, 10, 10), history=history, **family).rule_id == (
        "company.third_party.interval"
    )
    blocked = ask(cn(2026, 10, 11, 10), history=history, **family)
    assert blocked.next_allowed_at == cn(2026, 10, 12, 8)  # not Tuesday: Saturday counted
    assert ask(cn(2026, 10, 12, 8), history=history, **family).allowed


def test_interval_that_ends_on_a_holiday_waits_for_the_holiday_to_end() -> None:
    history = calls([cn(2026, 9, 29, 10)], Outcome.CONNECTED)  # 9-30 is the 1st working day
    blocked = ask(cn(2026, 9, 30, 9), history=history, contact=ContactType.FAMILY, case=DEBTOR_GONE)
    assert blocked.rule_id == "company.third_party.interval"
    assert blocked.next_allowed_at == cn(2026, 10, 8, 8)  # National Day 10-01..10-07


@pytest.mark.parametrize(
    ("case", "number", "contact", "rule"),
    [
        (CaseFacts(10, hold_reason="complaint_tendency"), None, ContactType.DEBTOR, "law.hold"),
        (CaseFacts(10, status="deceased"), None, ContactType.DEBTOR, "law.case_status"),
        (CaseFacts(10, status="paid"), None, ContactType.DEBTOR, "company.case_status"),
        (None, NumberFacts(MOBILE, do_not_call=True), ContactType.FAMILY, "law.do_not_call"),
        (
            None,
            NumberFacts(MOBILE, state="wrong_person"),
            ContactType.DEBTOR,
            "company.number_state",
        ),
        (None, None, ContactType.UNKNOWN, "law.contact_type"),
    ],
)
def test_blocks_that_waiting_does_not_lift(
    case: CaseFacts | None, number: NumberFacts | None, contact: ContactType, rule: str
) -> None:
    decision = ask(cn(2026, 12, 1, 10), case=case, number=number, contact=contact)
    assert not decision.allowed and decision.rule_id == rule
    assert decision.next_allowed_at is None
    assert decision.reason_zh and decision.reason_en


def test_every_decision_names_its_ruleset() -> None:
    assert ask(cn(2026, 12, 1, 10)).ruleset == CN.ruleset
    assert CN.ruleset.startswith("cn-default@2026.12+")


def test_a_client_banks_own_stricter_rule(tmp_path: Path) -> None:
    """The 2026 banking-association guideline as a bank layer: ≤ 6 unanswered per number a day."""
    path = tmp_path / "bank.toml"
    path.write_text(
        """id = "cmb-2026"
version = "1"
extends = "cn-default"

[[rules]]
id = "bank.cmb.unanswered_per_number"
layer = "bank"
kind = "cap"
outcome = "unanswered"
per = "number"
period = "calendar_day"
max = 2
client_banks = ["CMB-CARD"]
source = "CMB outsourcing contract 2026 §4.2"
""",
        encoding="utf-8",
    )
    profile = load_profile(path)
    history = calls([cn(2026, 12, 1, 9), cn(2026, 12, 1, 10)], Outcome.UNANSWERED)
    cmb = ask(
        cn(2026, 12, 1, 11),
        history=history,
        profile=profile,
        case=CaseFacts(10, client_bank="CMB-CARD"),
    )
    assert cmb.rule_id == "bank.cmb.unanswered_per_number"
    icbc = ask(cn(2026, 12, 1, 11), history=history, profile=profile)
    assert icbc.allowed


def us_number(e164: str = "+12125550100") -> NumberFacts:
    return NumberFacts(e164, time_zones=zones_for_number(e164))


def ny(y: int, mo: int, d: int, h: int, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("wall", "allowed"),
    [((7, 59, 59), False), ((8, 0, 0), True), ((20, 59, 59), True), ((21, 0, 0), False)],
)
def test_regf_window_in_the_callees_time(wall: tuple[int, int, int], allowed: bool) -> None:
    assert ask(ny(2026, 12, 1, *wall), profile=US, number=us_number()).allowed is allowed


def test_regf_uses_the_callees_zone_not_the_centres() -> None:
    at = datetime(2026, 12, 1, 14, 30, tzinfo=UTC)  # 09:30 New York, 06:30 Los Angeles
    assert ask(at, profile=US, number=us_number("+12125550100")).allowed
    la = ask(at, profile=US, number=us_number("+13105550100"))
    assert la.rule_id == "regf.window"
    assert la.next_allowed_at == datetime(2026, 12, 1, 16, tzinfo=UTC)


def test_regf_across_the_spring_dst_change() -> None:
    # 2026-03-08: clocks go from 02:00 EST to 03:00 EDT; 08:00 EDT is 12:00 UTC, not 13:00.
    evening = datetime(2026, 3, 8, 2, 0, tzinfo=UTC)  # 21:00 EST on 03-07
    decision = ask(evening, profile=US, number=us_number())
    assert decision.next_allowed_at == datetime(2026, 3, 8, 12, tzinfo=UTC)
    assert not ask(
        datetime(2026, 3, 8, 11, 59, 59, tzinfo=UTC), profile=US, number=us_number()
    ).allowed
    assert ask(datetime(2026, 3, 8, 12, tzinfo=UTC), profile=US, number=us_number()).allowed


def test_regf_across_the_autumn_dst_change() -> None:
    # 2026-11-01: 08:00 EST is 13:00 UTC (it was 12:00 UTC the day before).
    assert not ask(
        datetime(2026, 11, 1, 12, 30, tzinfo=UTC), profile=US, number=us_number()
    ).allowed
    assert ask(datetime(2026, 11, 1, 13, tzinfo=UTC), profile=US, number=us_number()).allowed


@pytest.mark.parametrize("e164", ["+19075550100", "+18005550100", "+999"])
def test_regf_unknown_or_ambiguous_zone_is_blocked(e164: str) -> None:
    decision = ask(ny(2026, 12, 1, 12), profile=US, number=us_number(e164))
    assert decision.rule_id == CLOCK_RULE and decision.next_allowed_at is None


def test_regf_seven_calls_in_seven_days_per_debt() -> None:
    times = [ny(2026, 12, d, 10) for d in range(1, 8)]
    history = calls(times, Outcome.UNANSWERED)
    blocked = ask(ny(2026, 12, 7, 15), profile=US, number=us_number(), history=history)
    assert blocked.rule_id == "regf.seven_in_seven"
    assert blocked.next_allowed_at == ny(2026, 12, 8, 10)  # when the 12-01 call leaves the window
    other_debt = calls(times, Outcome.UNANSWERED, case=11)
    assert ask(ny(2026, 12, 7, 15), profile=US, number=us_number(), history=other_debt).allowed


def test_regf_quiet_week_after_a_conversation() -> None:
    history = calls([ny(2026, 12, 1, 10)], Outcome.CONNECTED)
    blocked = ask(ny(2026, 12, 5, 10), profile=US, number=us_number(), history=history)
    assert blocked.rule_id == "regf.after_conversation"
    assert blocked.next_allowed_at == ny(2026, 12, 8, 10)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        ask(datetime(2026, 12, 1, 10))


def test_next_allowed_is_never_before_now() -> None:
    now = cn(2026, 12, 1, 10)
    history = calls([now - timedelta(hours=1)], Outcome.CONNECTED)
    decision = ask(now, history=history, contact=ContactType.FAMILY, case=DEBTOR_GONE)
    assert decision.next_allowed_at is not None and decision.next_allowed_at > now


def test_history_order_does_not_matter() -> None:
    """Histories from other sources may come unsorted: the answer must be the same."""
    times = [ny(2026, 12, d, 10) for d in (5, 1, 7, 3, 2, 6, 4)]
    unsorted = AttemptHistory(tuple(calls(times, Outcome.UNANSWERED)))
    decision = decide(
        us_number(),
        PersonFacts(1, ContactType.DEBTOR),
        CaseFacts(10),
        unsorted,
        ny(2026, 12, 7, 15),
        US,
    )
    assert decision.rule_id == "regf.seven_in_seven"
    assert decision.next_allowed_at == ny(2026, 12, 8, 10)
    family = AttemptHistory(
        tuple(calls([cn(2026, 12, 2, 10), cn(2026, 12, 1, 10)], Outcome.CONNECTED))
    )
    spaced = decide(
        NumberFacts(MOBILE),
        PersonFacts(1, ContactType.FAMILY),
        DEBTOR_GONE,
        family,
        cn(2026, 12, 3, 10),
        CN,
    )
    # from the later call (Wednesday: Friday is its 2nd working day), not the last listed
    assert spaced.next_allowed_at == cn(2026, 12, 4, 8)


@pytest.mark.parametrize(
    ("slots", "message"),
    [
        ('["8-11"]', "write a slot as 'HH:MM-HH:MM'"),
        ('["11:00-08:00"]', "must start before it ends"),
        ('["08:00-12:00", "11:00-14:00"]', "must not overlap"),
        ('["08:00"]', "HH:MM-HH:MM"),
    ],
)
def test_bad_retry_slots_are_refused_at_load(slots: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "slots.toml"
    path.write_text(
        f'id = "s"\nversion = "1"\n[scheduling]\nretry_slots = {slots}\n', encoding="utf-8"
    )
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    problems = english(info.value)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: scheduling.retry_slots:")
    assert message in problems[0]
