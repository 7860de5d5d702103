"""Property: whatever the sequence of clock jumps and outcomes, a dialer that only calls when
``decide`` allows never breaks a cap or a window. The invariants are checked here independently
of the engine, from the attempts alone."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    load_profile,
)
from compliance.policy.zones import zones_for_number
from tests.helpers import working_days_after

CN = load_profile("cn-default")
US = load_profile("us-regf")
PEOPLE = [
    (1, ContactType.DEBTOR, "+8613812348000"),
    (2, ContactType.FAMILY, "+8613912345678"),
    (3, ContactType.COLLEAGUE, "+861088886666"),
]
US_PEOPLE = [(1, ContactType.DEBTOR, "+12125550100"), (2, ContactType.FAMILY, "+13105550100")]

burst = st.tuples(
    st.integers(1, 3 * 86_400),  # jump before the burst, seconds
    st.integers(min_value=0, max_value=2),  # who the burst dials
    st.lists(
        st.tuples(
            st.integers(1, 3_600),  # minutes apart within the burst
            st.sampled_from(list(Outcome)),
            st.booleans(),  # does the previous in-flight call resolve now?
        ),
        min_size=1,
        max_size=12,
    ),
)
steps = st.lists(burst, min_size=1, max_size=12).map(
    lambda bursts: [
        (jump if i == 0 else gap, outcome, who, resolve)
        for jump, who, calls in bursts
        for i, (gap, outcome, resolve) in enumerate(calls)
    ]
)
starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20))


def debtor_calls(history: list[PastAttempt]) -> list[tuple[datetime, Outcome]]:
    return [(a.at, a.outcome) for a in history if a.person_id == 1]


def simulate(evaluator: Evaluator, people: list, start: datetime, plan: list) -> list[PastAttempt]:
    now = start.replace(tzinfo=UTC)
    history: list[PastAttempt] = []
    for jump, outcome, who, resolve in plan:
        now += timedelta(seconds=jump)
        if resolve:
            ended = Outcome.CONNECTED if outcome == Outcome.CONNECTED else Outcome.UNANSWERED
            history = [
                PastAttempt(a.at, a.person_id, a.case_id, a.e164, ended)
                if a.outcome == Outcome.IN_FLIGHT
                else a
                for a in history
            ]
        person_id, contact, e164 = people[who % len(people)]
        decision = evaluator.decide(
            NumberFacts(e164, time_zones=zones_for_number(e164)),
            PersonFacts(person_id, contact),
            # the debtor's attempts, as both roads tell the third-party gate
            CaseFacts(7, debtor=DebtorReach.of(("verified",), debtor_calls(history), keep=10)),
            AttemptHistory(tuple(history)),
            now,
        )
        if decision.allowed:
            history.append(PastAttempt(now, person_id, 7, e164, outcome))
    return history


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, plan=steps)
def test_cn_default_never_breaks_a_cap_window_holiday_or_spacing(
    start: datetime, plan: list
) -> None:
    history = simulate(Evaluator(CN), PEOPLE, start, plan)
    zone = ZoneInfo("Asia/Shanghai")
    connected: Counter[tuple[int, object]] = Counter()
    unanswered: Counter[tuple[int, object]] = Counter()
    for attempt in history:
        local = attempt.at.astimezone(zone)
        assert 8 <= local.hour < 20, local
        is_holiday, name = chinese_calendar.get_holiday_detail(local.date())
        assert not (is_holiday and name), local
        day = (attempt.person_id, local.date())
        # an in-flight call may still end either way: it must fit under both caps
        if attempt.outcome != Outcome.UNANSWERED:
            connected[day] += 1
        if attempt.outcome != Outcome.CONNECTED:
            unanswered[day] += 1
    assert max(connected.values(), default=0) <= 3
    assert max(unanswered.values(), default=0) <= 5
    for person_id, contact, _ in PEOPLE:
        if contact in (ContactType.FAMILY, ContactType.COLLEAGUE):
            days = [a.at.astimezone(zone).date() for a in history if a.person_id == person_id]
            assert all(working_days_after(a, b) >= 2 for a, b in itertools.pairwise(days))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=starts, plan=steps)
def test_us_regf_never_breaks_seven_in_seven_quiet_week_or_local_hours(
    start: datetime, plan: list
) -> None:
    history = simulate(Evaluator(US), US_PEOPLE, start, plan)
    for attempt in history:
        (zone,) = zones_for_number(attempt.e164)
        local = attempt.at.astimezone(ZoneInfo(zone))
        assert 8 <= local.hour < 21, local
        same = [a for a in history if a.person_id == attempt.person_id]
        in_week = [a for a in same if attempt.at - timedelta(days=7) < a.at <= attempt.at]
        assert len(in_week) <= 7
        talked = [a for a in same if a.at < attempt.at and a.outcome != Outcome.UNANSWERED]
        assert all(attempt.at - a.at >= timedelta(days=7) for a in talked)
