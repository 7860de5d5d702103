"""The third-party gate's facts reach the policy on both roads (dial time and worklists) alike,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import update

from compliance.policy import load_profile
from compliance.policy.rule_specs import GATE_ATTEMPTS_MAX
from dialer.gate import PolicyJudge
from dialer.worklist_source import build_worklists
from store.db import SessionFactory
from store.debtor_facts import DEBTOR_ATTEMPTS, load_debtor_rows
from store.enums import AttemptStatus, NumberState
from store.models import PhoneNumber
from store.reservation import reserve_attempt
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets, load_sample

CN = load_profile("cn-default")
JUDGE = PolicyJudge(CN)
SHANGHAI = ZoneInfo("Asia/Shanghai")
GATE = "cba.third_party_gate"


def at(d: int, h: int, mi: int = 0) -> datetime:
    return datetime(2026, 12, d, h, mi, tzinfo=SHANGHAI)


def family_and_debtor(sessions: SessionFactory) -> tuple[Target, list[Target]]:
    load_sample(sessions)
    family = contact_targets(sessions, "family")[0]
    debtor = [t for t in debtor_targets(sessions) if t.case_id == family.case_id]
    return family, debtor


def both_roads(sessions: SessionFactory, family: Target, now: datetime) -> tuple[str, str]:
    """(worklist reason, dial-time reason) for the family number: "allowed" or the reason."""
    with sessions() as session:
        schedule = build_worklists(session, CN, now, [])
    listed = [i for i in schedule.dialable if i.entry.phone_number_id == family.phone_number_id]
    blocked = [b for b in schedule.blocked if b.entry.phone_number_id == family.phone_number_id]
    worklist = "allowed" if listed else blocked[0].reason
    verdict = reserve_attempt(
        sessions, family.phone_number_id, family.case_id, now, JUDGE, lookback=JUDGE.lookback
    ).verdict
    return worklist, "allowed" if verdict.allowed else verdict.reason_en


def test_a_debtor_who_answers_then_stops_answering(sessions: SessionFactory) -> None:
    family, debtor = family_and_debtor(sessions)
    add_attempts(sessions, debtor[0], [at(1, 9, 5)], AttemptStatus.ANSWERED)
    add_attempts(sessions, debtor[0], [at(1, 10), at(1, 11)], AttemptStatus.NO_ANSWER)
    closed = "debtor answered 2026-12-01 09:05, third parties not yet allowed"
    assert both_roads(sessions, family, at(1, 14)) == (closed, closed)
    # the third failure, weeks back from the caps' lookback's point of view: it still counts
    add_attempts(sessions, debtor[-1], [at(1, 12)], AttemptStatus.BUSY)
    assert both_roads(sessions, family, at(20, 10)) == ("allowed", "allowed")


def test_every_debtor_number_unreachable_opens_the_gate_on_both_roads(
    sessions: SessionFactory,
) -> None:
    family, debtor = family_and_debtor(sessions)
    add_attempts(sessions, debtor[0], [at(1, 9)], AttemptStatus.ANSWERED)
    with sessions.begin() as session:
        session.execute(
            update(PhoneNumber)
            .where(PhoneNumber.person_id == debtor[0].person_id)
            .values(state=NumberState.UNREACHABLE)
        )
    assert both_roads(sessions, family, at(2, 10)) == ("allowed", "allowed")


def test_the_debtor_rows_read(sessions: SessionFactory) -> None:
    family, debtor = family_and_debtor(sessions)
    target = debtor[0]
    times = [at(1, 8, m) for m in range(DEBTOR_ATTEMPTS + 2)]
    add_attempts(sessions, target, times, AttemptStatus.NO_ANSWER)
    add_attempts(sessions, target, [at(1, 9)], AttemptStatus.BLOCKED)  # not a call
    with sessions() as session:
        rows = load_debtor_rows(session, [family.case_id])[family.case_id]
        everyone = load_debtor_rows(session)
    assert [a for a, _ in rows.recent] == times[-DEBTOR_ATTEMPTS:]  # the latest, oldest first
    assert rows.number_states == ("unverified",)
    assert everyone[family.case_id] == rows
    assert DEBTOR_ATTEMPTS == GATE_ATTEMPTS_MAX  # both roads read what any gate may ask for


def test_attempts_at_the_same_instant_count_in_the_order_reserved(
    sessions: SessionFactory,
) -> None:
    """The answered call was reserved first, the unanswered one after it at the same instant:
    the later one is among the debtor's last three, on both roads, whatever order the rows
    are read in."""
    family, debtor = family_and_debtor(sessions)
    add_attempts(sessions, debtor[0], [at(1, 9)], AttemptStatus.ANSWERED)
    add_attempts(sessions, debtor[0], [at(1, 9), at(1, 10), at(1, 11)], AttemptStatus.NO_ANSWER)
    assert both_roads(sessions, family, at(1, 14)) == ("allowed", "allowed")
