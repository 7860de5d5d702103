"""Working-day spacing (issue 19 item 3): ``min_interval`` with ``working_days`` on the
profile's calendar, and the scheduler's lost contact (失联) counted in working days.

The property is checked against an oracle written here: chinese-calendar for the years it
knows, the admin's year as data, and any other year unknown."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.errors import ProfileError
from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    DebtorReach,
    Evaluator,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
    Profile,
    load_profile,
)
from compliance.policy.calendar import working_days_later
from dialer.book import Book, NumberEntry
from dialer.keeper import valid_until
from dialer.scheduler import LostContact, build_schedule
from tests.helpers import english
from tests.test_scheduler import entry

SHANGHAI = ZoneInfo("Asia/Shanghai")
MOBILE = "+8613812348000"
CN = load_profile("cn-default")
US = load_profile("us-regf")

# A year an admin added (not the State Council's: test data), and 2028 that nobody knows.
HOLIDAYS_2027 = [date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)] + [
    date(2027, 2, 5) + timedelta(days=d) for d in range(7)
]
WORKDAYS_2027 = [date(2027, 2, 13)]  # a Saturday worked (调休)


def cn(y: int, mo: int, d: int, h: int = 10, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def oracle_working(day: date) -> bool | None:
    """Whether ``day`` is a working day; None for a year no one knows."""
    if day.year <= 2026:
        return bool(chinese_calendar.is_workday(day))
    if day.year == 2027:
        if day in HOLIDAYS_2027:
            return False
        return day in WORKDAYS_2027 or day.weekday() < 5
    return None


def oracle_opens(last_day: date, n: int) -> date | None:
    """The day the n-th working day after ``last_day`` falls on; None if an unknown day comes
    first."""
    day, seen = last_day, 0
    while seen < n:
        day += timedelta(days=1)
        working = oracle_working(day)
        if working is None:
            return None
        seen += working
    return day


def profile_with(folder: Path, n: int) -> Profile:
    holidays = ", ".join(f'"{d}"' for d in HOLIDAYS_2027)
    workdays = ", ".join(f'"{d}"' for d in WORKDAYS_2027)
    path = folder / f"wd-{n}.toml"
    path.write_text(
        f'id = "wd-{n}"\nversion = "1"\ntimezone = "Asia/Shanghai"\n\n'
        f'[[rules]]\nid = "t.spacing"\nlayer = "company"\nkind = "min_interval"\n'
        f'per = "person"\nworking_days = {n}\nsource = "test"\n\n'
        f"[[calendar]]\nyear = 2027\nholidays = [{holidays}]\nworkdays = [{workdays}]\n",
        encoding="utf-8",
    )
    return load_profile(path)


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> Mapping[int, Profile]:
    folder = tmp_path_factory.mktemp("profiles")
    return {n: profile_with(folder, n) for n in range(1, 8)}


instants = st.datetimes(min_value=datetime(2026, 12, 1), max_value=datetime(2028, 1, 20)).map(
    lambda naive: naive.replace(tzinfo=UTC)
)


@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(1, 7),
    times=st.lists(instants, min_size=1, max_size=5),
    now=instants,
    contact=st.sampled_from(list(ContactType)),
)
def test_working_day_interval_never_allows_fewer_than_n_working_days(
    profiles: Mapping[int, Profile],
    n: int,
    times: list[datetime],
    now: datetime,
    contact: ContactType,
) -> None:
    history = AttemptHistory.of(PastAttempt(at, 1, 1, MOBILE, Outcome.UNANSWERED) for at in times)
    decision = Evaluator(profiles[n]).decide(
        NumberFacts(MOBILE), PersonFacts(1, contact), CaseFacts(1), history, now
    )
    last_day = max(times).astimezone(SHANGHAI).date()
    today = now.astimezone(SHANGHAI).date()
    opens = oracle_opens(last_day, n)
    # safe: allowed only once n working days, all of known years, lie between
    assert decision.allowed == (opens is not None and today >= opens), (last_day, today, opens)
    if decision.allowed:
        return
    assert decision.rule_id == "t.spacing"
    if opens is None:  # an unknown year on the way: no waiting promises a call
        assert decision.next_allowed_at is None
        assert "工作日数据" in decision.reason_zh and "no working-day calendar" in (
            decision.reason_en
        )
    else:
        assert decision.next_allowed_at == datetime.combine(opens, time(0), tzinfo=SHANGHAI)


def test_hours_or_working_days_not_both(tmp_path: Path) -> None:
    path = tmp_path / "both.toml"
    path.write_text(
        'id = "both"\nversion = "1"\n[[rules]]\nid = "x"\nlayer = "company"\n'
        'kind = "min_interval"\nper = "person"\nhours = 24\nworking_days = 2\nsource = "t"\n',
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert "rules[0] (x): give exactly one of hours or working_days" in english(caught.value)[0]


def test_lost_contact_in_days_or_working_days_not_both(tmp_path: Path) -> None:
    path = tmp_path / "lost.toml"
    path.write_text(
        'id = "lost"\nversion = "1"\n[scheduling]\n'
        "lost_contact_every_days = 7\nlost_contact_every_working_days = 6\n",
        encoding="utf-8",
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert "scheduling: give one of" in english(caught.value)[0]
    assert CN.scheduling.lost_contact_every_working_days == 6
    assert CN.scheduling.lost_contact_every_days is None
    assert US.scheduling.lost_contact_every_days == 7  # Regulation F's week stays in days
    assert US.scheduling.lost_contact_every_working_days is None


def test_an_unknown_year_on_the_way_blocks_with_a_clear_reason() -> None:
    history = AttemptHistory.of([PastAttempt(cn(2026, 12, 30), 1, 1, MOBILE, Outcome.CONNECTED)])
    family = PersonFacts(1, ContactType.FAMILY)
    gone = CaseFacts(1, debtor=DebtorReach(("unreachable",)))  # the third-party gate opens
    blocked = Evaluator(CN).decide(NumberFacts(MOBILE), family, gone, history, cn(2026, 12, 31))
    assert blocked.rule_id == "company.third_party.interval"
    assert blocked.next_allowed_at is None
    assert "2027" in blocked.reason_zh and "2027" in blocked.reason_en
    # two working days before the unknown year: allowed, whatever comes after
    early = AttemptHistory.of([PastAttempt(cn(2026, 12, 28), 1, 1, MOBILE, Outcome.CONNECTED)])
    assert Evaluator(CN).decide(NumberFacts(MOBILE), family, gone, early, cn(2026, 12, 31)).allowed


def test_working_days_later_counts_adjusted_days_and_stops_at_unknown_years() -> None:
    assert working_days_later(date(2026, 10, 9), 1, {}).day == date(2026, 10, 10)  # 调休 Saturday
    assert working_days_later(date(2026, 9, 30), 1, {}).day == date(2026, 10, 8)
    assert working_days_later(date(2026, 12, 4), 0, {}).day == date(2026, 12, 4)
    unknown = working_days_later(date(2026, 12, 30), 3, {})
    assert unknown.day is None and unknown.unknown == date(2027, 1, 1)


def lost_contact_case(last: datetime) -> list[NumberEntry]:
    talked = [PastAttempt(last, 1, 1, MOBILE, Outcome.CONNECTED)]
    return [entry(1, imported=cn(2026, 11, 2), history=talked, e164=MOBILE)]


def test_lost_contact_is_due_after_six_working_days() -> None:
    entries = lost_contact_case(cn(2026, 12, 1))  # Tuesday: Wed 12-09 is the 6th working day
    before = build_schedule(entries, CN, cn(2026, 12, 8, 19), ["A01"])
    assert [item.rule for item in before.dialable] == ["schedule.routine"]
    after = build_schedule(entries, CN, cn(2026, 12, 9, 8), ["A01"])
    assert [item.rule for item in after.dialable] == ["schedule.lost_contact"]
    assert after.dialable[0].reason == "not reached for 6+ working days (失联)"
    # the kept schedule is rebuilt no later than the instant the case turns lost contact
    assert LostContact(CN)[cn(2026, 12, 1)] == cn(2026, 12, 9, 0)
    until = valid_until(Book.of(entries), before, CN, cn(2026, 12, 8, 19).astimezone(UTC))
    assert until <= cn(2026, 12, 9, 0)


def test_lost_contact_waits_over_a_holiday() -> None:
    entries = lost_contact_case(cn(2026, 9, 28))  # Mon; 9-29, 9-30, 10-08, 10-09, 10-10, 10-12
    assert [i.rule for i in build_schedule(entries, CN, cn(2026, 10, 10, 9), ["A01"]).dialable] == [
        "schedule.routine"
    ]
    due = build_schedule(entries, CN, cn(2026, 10, 12, 9), ["A01"])
    assert [i.rule for i in due.dialable] == ["schedule.lost_contact"]


def test_lost_contact_in_calendar_days_where_the_profile_says_so(tmp_path: Path) -> None:
    path = tmp_path / "weekly.toml"
    path.write_text(
        'id = "weekly"\nversion = "1"\nextends = "cn-default"\n'
        "[scheduling]\nlost_contact_every_days = 7\n",
        encoding="utf-8",
    )
    weekly = load_profile(path)
    entries = lost_contact_case(cn(2026, 12, 1))
    (item,) = build_schedule(entries, weekly, cn(2026, 12, 8, 10), ["A01"]).dialable
    assert (item.rule, item.reason) == ("schedule.lost_contact", "not reached for 7+ days")
    (item,) = build_schedule(entries, weekly, cn(2026, 12, 8, 9), ["A01"]).dialable
    assert item.rule == "schedule.routine"
