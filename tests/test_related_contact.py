"""Related contacts made due by their 3rd working day (issue 19, the seed's "related accounts
every 2–3 working days"): while the third-party gate is open, a case whose related contacts
were not attempted for ``related_contact_every_working_days`` working days is due, with a
reason in Chinese and English, and the kept schedule wakes it then. Pure; the database's
part is in ``tests/test_related_contact_db.py``."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    DebtorReach,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
    load_profile,
)
from dialer.book import Book, CaseEntry, NumberEntry
from dialer.keeper import case_wakes
from dialer.related_contact import RELATED_RULE, related_due
from dialer.scheduler import build_schedule, schedule_book
from tests.helpers import working_days_after

SH = ZoneInfo("Asia/Shanghai")
CN = load_profile("cn-default")
DEBTOR_NO, FAMILY_NO = "+8613812348000", "+8613912345678"


def cn(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def unreachable(before: datetime) -> DebtorReach:
    """The debtor's last 3 calls, the hour before ``before``, all unanswered: the gate is open."""
    return DebtorReach(
        ("unverified",),
        tuple((before - timedelta(minutes=20 * i), Outcome.UNANSWERED) for i in (3, 2, 1)),
    )


def book_of(
    reach: DebtorReach, related: list[datetime], *, contacts: bool = True, case_id: int = 1
) -> list[NumberEntry]:
    """One dialled case: the debtor's mobile (the gate's facts ``reach``) and, with
    ``contacts``, a family member's mobile attempted for this case at ``related``."""
    debtor_calls = [PastAttempt(at, 1, case_id, DEBTOR_NO, o) for at, o in reach.recent]
    case = CaseEntry(
        CaseFacts(case_id, "ICBC-CC", debtor=reach),
        f"A{case_id}",
        cn(date(2026, 11, 2)),
        40,
        500_000,
        "A01",
        attempted=True,
    )
    entries = [
        NumberEntry(
            case,
            NumberFacts(DEBTOR_NO),
            PersonFacts(1, ContactType.DEBTOR),
            "mobile",
            AttemptHistory.of(debtor_calls),
        )
    ]
    if contacts:
        calls = [PastAttempt(at, 2, case_id, FAMILY_NO, Outcome.UNANSWERED) for at in related]
        entries.append(
            NumberEntry(
                case,
                NumberFacts(FAMILY_NO),
                PersonFacts(2, ContactType.FAMILY),
                "mobile",
                AttemptHistory.of(calls),
            )
        )
    return entries


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (date(2026, 11, 30), date(2026, 12, 3)),  # Monday → Thursday
        (date(2026, 12, 2), date(2026, 12, 7)),  # Wednesday → over the weekend to Monday
        (date(2026, 12, 4), date(2026, 12, 9)),  # Friday → Wednesday
        (date(2026, 12, 5), date(2026, 12, 9)),  # a Saturday call counts from Monday
        (date(2026, 9, 24), date(2026, 9, 30)),  # Mid-Autumn (09-25) and a weekend skipped
        (date(2026, 9, 29), date(2026, 10, 9)),  # National Day (10-01..10-07) skipped
        (date(2026, 9, 30), date(2026, 10, 10)),  # … and the Saturday worked (调休) counted
    ],
)
def test_related_contacts_are_due_from_the_3rd_working_day(last: date, due: date) -> None:
    called = cn(last, 11)
    book = Book.of(book_of(unreachable(cn(last, 9)), [called]))
    found = related_due(book, CN, called)[0]
    assert found.at == datetime.combine(due, time(0), tzinfo=SH)
    assert found.due_by == datetime.combine(due, time(23, 59, 59), tzinfo=SH)
    assert f"关联人上次联系 {last}，每 3 个工作日至少联系一次，{due} 到期" in found.reason
    assert f"related contacts last attempted {last}: due every 3 working days, by {due}" in (
        found.reason
    )


def _tier(entries: list[NumberEntry], now: datetime) -> tuple[str, str]:
    schedule = build_schedule(entries, CN, now, ["A01"])
    item = schedule.dialable[0]
    return item.rule, item.reason


def test_the_case_rises_to_related_contact_due_on_that_day_and_not_before() -> None:
    monday = date(2026, 11, 30)
    entries = book_of(unreachable(cn(monday, 9)), [cn(monday, 11)])
    wednesday = cn(date(2026, 12, 2), 23, 59)
    assert _tier(entries, cn(date(2026, 12, 2), 10))[0] == "schedule.lost_contact"
    rule, reason = _tier(entries, cn(date(2026, 12, 3), 8, 5))
    assert rule == RELATED_RULE and "2026-12-03 到期" in reason
    # the kept schedule wakes the case at that instant (here also a midnight)
    book = Book.of(entries)
    schedule = schedule_book(book, CN, wednesday, ["A01"])
    assert case_wakes(book, schedule, CN, wednesday)[1] == cn(date(2026, 12, 3), 0)


def test_once_the_interval_has_opened_the_case_wakes_at_the_related_instant() -> None:
    """Friday's call: company.third_party.interval opens Tuesday (2 working days), the case
    is due Wednesday (3): from Tuesday noon its own next instant is Wednesday's midnight."""
    friday = date(2026, 12, 4)
    book = Book.of(book_of(unreachable(cn(friday, 9)), [cn(friday, 11)]))
    now = cn(date(2026, 12, 8), 12)
    schedule = schedule_book(book, CN, now, ["A01"])
    assert {item.entry.number.e164 for item in schedule.dialable} == {DEBTOR_NO, FAMILY_NO}
    assert case_wakes(book, schedule, CN, now)[1] == cn(date(2026, 12, 9), 0)


def test_never_attempted_related_contacts_are_due_at_once_once_the_gate_opens() -> None:
    now = cn(date(2026, 12, 1), 10)
    found = related_due(Book.of(book_of(unreachable(now), [])), CN, now)[0]
    assert found.at is None and found.due_by == cn(date(2026, 12, 1), 23, 59) + timedelta(
        seconds=59
    )
    assert "关联人尚未联系" in found.reason and "no related contact" in found.reason
    rule, _ = _tier(book_of(unreachable(now), []), now)
    assert rule == RELATED_RULE


def test_no_related_due_while_the_gate_is_shut_or_there_is_no_related_contact() -> None:
    now = cn(date(2026, 12, 7), 10)
    long_ago = [cn(date(2026, 11, 2))]
    answered = DebtorReach(
        ("unverified",),
        (
            (now - timedelta(hours=3), Outcome.UNANSWERED),
            (now - timedelta(hours=2), Outcome.UNANSWERED),
            (now - timedelta(hours=1), Outcome.CONNECTED),
        ),
    )
    assert related_due(Book.of(book_of(answered, long_ago)), CN, now) == {}
    assert related_due(Book.of(book_of(unreachable(now), [], contacts=False)), CN, now) == {}
    # nothing known of the debtor (a caller that did not load the facts): fail closed
    assert related_due(Book.of(book_of(DebtorReach(), long_ago)), CN, now) == {}
    # a profile that does not ask for it
    never = CN.scheduling.model_copy(update={"related_contact_every_working_days": None})
    plain = replace(CN, scheduling=never)
    assert related_due(Book.of(book_of(unreachable(now), long_ago)), plain, now) == {}


def test_an_attempt_for_another_case_does_not_count() -> None:
    now = cn(date(2026, 12, 7), 10)
    entries = book_of(unreachable(now), [])
    family = entries[1]
    other = PastAttempt(cn(date(2026, 12, 4)), 2, 99, FAMILY_NO, Outcome.UNANSWERED)
    entries[1] = replace(family, history=AttemptHistory.of([other]))
    assert related_due(Book.of(entries), CN, now)[0].at is None  # still never, for this case


def test_a_year_no_calendar_knows_makes_it_due_at_once_and_says_why() -> None:
    called = cn(date(2026, 12, 30), 11)
    found = related_due(Book.of(book_of(unreachable(called), [called])), CN, called)[0]
    assert found.at is None and found.due_by is None
    assert "缺少 2027 年工作日日历" in found.reason and "no calendar for 2027" in found.reason


def test_the_profile_looks_back_far_enough_to_see_the_last_related_attempt() -> None:
    """The guideline's layer alone looks back a day or two; asking for the cadence makes it
    look back as far as 3 working days may take (a week and the longest run of days off)."""
    cba = load_profile("cn-cba-2026")
    asked = cba.scheduling.model_copy(update={"related_contact_every_working_days": 3})
    assert cba.lookback() < timedelta(days=7)
    assert replace(cba, scheduling=asked).lookback() >= timedelta(days=7 + 14)


def test_a_related_number_on_the_do_not_call_list_makes_nothing_due() -> None:
    now = cn(date(2026, 12, 7), 10)
    entries = book_of(unreachable(now), [cn(date(2026, 11, 2))])
    entries[1] = replace(entries[1], number=NumberFacts(FAMILY_NO, do_not_call=True))
    assert related_due(Book.of(entries), CN, now) == {}


def _oracle_third_working_day(last: date) -> date | None:
    """The 3rd working day after ``last`` by chinese-calendar; None if it lies in 2027 (which
    the library and cn-default do not know)."""
    day = last
    while day.year == 2026 and working_days_after(last, day) < 3:
        day += timedelta(days=1)
    return day if day.year == 2026 else None


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


@settings(max_examples=300, deadline=None)
@given(called=instants, later=st.integers(0, 30 * 24 * 60))
def test_due_exactly_from_the_3rd_working_day_on_chinese_calendar(
    called: datetime, later: int
) -> None:
    """Against the oracle written in test_working_days: due from local midnight of the 3rd
    working day after the day of the last related call, never sooner; a day of an unknown
    year on the way (2027) makes it due at once."""
    now = called + timedelta(minutes=later)
    book = Book.of(book_of(unreachable(called), [called]))
    found = related_due(book, CN, now)[0]
    opens = _oracle_third_working_day(called.astimezone(SH).date())
    if opens is None:
        assert found.at is None
        return
    assert found.at == datetime.combine(opens, time(0), tzinfo=SH)
    schedule = schedule_book(book, CN, now, ["A01"])
    rules = {item.rule for item in schedule.dialable}
    if now < found.at:
        assert RELATED_RULE not in rules
    elif schedule.dialable:
        assert rules == {RELATED_RULE}


def test_the_reason_is_kept_in_each_language_alone() -> None:
    """The console shows one language (issue 20): the item carries each without the other."""
    monday = date(2026, 11, 30)
    entries = book_of(unreachable(cn(monday, 9)), [cn(monday, 11)])
    item = build_schedule(entries, CN, cn(date(2026, 12, 3), 8, 5), ["A01"]).dialable[0]
    assert (
        item.reason_zh.startswith("关联人上次联系 2026-11-30") and "related" not in item.reason_zh
    )
    assert item.reason_en.startswith("related contacts last attempted 2026-11-30")
    assert not re.search(r"[\u4e00-\u9fff]", item.reason_en)
