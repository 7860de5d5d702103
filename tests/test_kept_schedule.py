"""The kept schedule equals a fresh build after any sequence of events, on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from compliance.policy import load_profile
from dialer.gate import PolicyJudge
from dialer.keeper import as_kept, keep_once
from dialer.worklist_source import active_agents, build_worklists
from store import kept_schedule as kept
from store.attempts import mark_ended
from store.db import SessionFactory, make_read_session_factory
from store.enums import AttemptStatus, HoldReason
from store.holds import add_do_not_call, clear_hold, place_hold
from store.models import Agent, Case, CollectionNote, Hold, ScheduleMark
from store.reservation import reserve_attempt
from tests.dbdata import Target, debtor_targets, load_sample

PROFILE = load_profile("cn-default")
JUDGE = PolicyJudge(PROFILE)
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def book(sessions: SessionFactory) -> list[Target]:
    load_sample(sessions)
    with sessions.begin() as session:
        for code in ("a01", "a02", "a03"):
            session.add(Agent(code=code, name=code, sip_endpoint=f"PJSIP/{code}"))
    return debtor_targets(sessions)


def fresh(sessions: SessionFactory, at: datetime) -> list[kept.KeptItem]:
    with make_read_session_factory(sessions.kw["bind"])() as session:
        schedule = build_worklists(session, PROFILE, at, active_agents(session))
    return [as_kept(item) for item in schedule.dialable]


def kept_rows(sessions: SessionFactory) -> list[kept.KeptItem]:
    with sessions() as session:
        return kept.all_items(session)


def owner_pass(sessions: SessionFactory, at: datetime) -> kept.ScheduleState:
    keep_once(sessions, make_read_session_factory(sessions.kw["bind"]), PROFILE, at)
    with sessions() as session:
        state = kept.state(session)
        assert state is not None
        assert session.scalar(select(ScheduleMark.id).limit(1)) is None  # every mark applied
        return state


Event = tuple[str, int, int]
events = st.lists(
    st.tuples(
        st.sampled_from(
            ["reserve", "answered", "no_answer", "note", "hold", "clear", "dnc", "clock", "edge"]
        ),
        st.integers(0, 10_000),
        st.integers(1, 3 * 24 * 60),
    ),
    max_size=6,
)


def apply(sessions: SessionFactory, targets: list[Target], event: Event, now: datetime) -> datetime:
    """Do ``event``; returns the clock after it."""
    what, pick, minutes = event
    target = targets[pick % len(targets)]
    if what in {"reserve", "answered", "no_answer"}:
        r = reserve_attempt(
            sessions, target.phone_number_id, target.case_id, now, JUDGE, lookback=JUDGE.lookback
        )
        if what != "reserve" and r.verdict.allowed:
            status = AttemptStatus.ANSWERED if what == "answered" else AttemptStatus.NO_ANSWER
            mark_ended(sessions, r.attempt_id, status, "16", now + timedelta(minutes=1))
    elif what == "note":
        with sessions.begin() as session:
            agent = session.scalars(select(Agent.id)).first()
            assert agent is not None
            promised = (now + timedelta(minutes=minutes)).astimezone(SHANGHAI).date()
            session.add(_note(target.case_id, agent, promised, now))
    elif what == "hold":
        with sessions.begin() as session:
            account = session.scalar(select(Case.account_no).where(Case.id == target.case_id))
            assert account is not None
            place_hold(session, account, HoldReason.MANUAL, "test", "sup", now)
    elif what == "clear":
        with sessions.begin() as session:
            hold = session.scalars(select(Hold.id).where(Hold.cleared_at.is_(None))).first()
            if hold is not None:
                clear_hold(session, hold, "sup", "resolved", now)
    elif what == "dnc":
        with sessions.begin() as session:
            if target.e164 not in _dnc(session):
                add_do_not_call(session, target.e164, "asked", "sup", now)
    elif what == "clock":
        return now + timedelta(minutes=minutes)
    else:  # "edge": exactly to the instant the kept schedule said it holds until
        with sessions() as session:
            state = kept.state(session)
        return state.valid_until if state else now
    return now


def _note(case_id: int, agent: int, promised: date, now: datetime) -> CollectionNote:
    return CollectionNote(
        case_id=case_id,
        agent_id=agent,
        outcome="promise_to_pay",
        promised_date=promised,
        text="will pay",
        created_at=now,
    )


def _dnc(session: object) -> set[str]:
    from store.models import DoNotCall  # noqa: PLC0415

    assert hasattr(session, "scalars")
    return set(session.scalars(select(DoNotCall.e164)))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=events, fraction=st.floats(0, 1))
def test_the_kept_schedule_equals_a_fresh_build_after_any_events(
    sessions: SessionFactory, book: list[Target], steps: list[Event], fraction: float
) -> None:
    now = START
    owner_pass(sessions, now)
    for event in steps:
        now = apply(sessions, book, event, now)
    state = owner_pass(sessions, now)
    assert kept_rows(sessions) == fresh(sessions, now)
    # until its valid_until, the clock alone changes nothing: the rows still equal a fresh build
    later = state.built_for + (state.valid_until - state.built_for) * fraction
    later = min(later, state.valid_until - timedelta(microseconds=1))
    with sessions() as session:
        agents = active_agents(session)
        assert kept.problem(session, PROFILE.ruleset, agents, later, wall_now=later) is None
    assert kept_rows(sessions) == fresh(sessions, later)
