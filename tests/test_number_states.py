"""Numbers a call proved bad (issue 19's third-party gate needs them): the network's
"unallocated number" marks the number unreachable as the attempt ends, and an agent's
号码错误 note marks it wrong_person; each audit-logged, each marking the kept schedule for
the number's person only. A debtor whose every number is bad opens the gate on both roads,
on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.outcomes import from_hangup
from store.attempts import mark_ended
from store.db import SessionFactory
from store.enums import AttemptStatus, Direction, NumberState
from store.models import AuditLog, CallAttempt, PhoneNumber, ScheduleMark
from store.notes import NoteInput, NoteOutcome, add_note
from store.number_states import mark_number
from store.reservation import reserve_attempt
from tests.dbdata import add_attempts
from tests.test_third_party_debtor_called_in import JUDGE, at, book, both_roads


@pytest.mark.parametrize(
    ("cause", "gone"), [("1", True), ("22", True), ("16", False), ("17", False), ("34", False)]
)
def test_only_a_number_the_network_says_is_gone_is_marked(cause: str, gone: bool) -> None:
    assert from_hangup({"Cause": cause}, answered=False).number_gone is gone
    assert not from_hangup({"Cause": cause}, answered=True).number_gone


def _state(sessions: SessionFactory, number_id: int) -> NumberState:
    with sessions() as session:
        return session.get_one(PhoneNumber, number_id).state


def _audit(sessions: SessionFactory, action: str) -> list[AuditLog]:
    with sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_an_unallocated_number_is_unreachable_and_opens_the_gate(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    debtor, family, _ = book(sessions, tmp_path)
    add_attempts(sessions, debtor, [at(9)], AttemptStatus.ANSWERED)
    reserved = reserve_attempt(
        sessions, debtor.phone_number_id, debtor.case_id, at(10), JUDGE, lookback=JUDGE.lookback
    )
    assert reserved.verdict.allowed
    with sessions.begin() as session:
        marks_before = len(session.scalars(select(ScheduleMark.id)).all())
    end = from_hangup({"Cause": "1", "Cause-txt": "Unallocated (unassigned) number"}, False)
    mark_ended(sessions, reserved.attempt_id, end.status, end.cause, at(10, 1), number_gone=True)

    assert _state(sessions, debtor.phone_number_id) is NumberState.UNREACHABLE
    (row,) = _audit(sessions, "number.unreachable")
    assert row.object_id == str(debtor.phone_number_id) and "(cause 1)" in row.detail["why"]
    with sessions() as session:
        new = session.scalars(select(ScheduleMark).offset(marks_before)).all()
    # the person's cases, not the whole book
    assert new and all(m.case_id or m.person_id or m.e164 for m in new)
    assert any(m.person_id == debtor.person_id for m in new)
    # the debtor's only number is gone: third parties may be called, on both roads
    assert both_roads(sessions, family, at(11)) == ("allowed", "allowed")


def test_a_wrong_number_note_marks_it_wrong_person_once(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    debtor, family, agent_id = book(sessions, tmp_path)
    closed = "debtor answered 2026-12-02 10:00, third parties not yet allowed"
    with sessions.begin() as session:
        call = CallAttempt(
            case_id=debtor.case_id,
            person_id=debtor.person_id,
            phone_number_id=debtor.phone_number_id,
            e164=debtor.e164,
            agent_id=agent_id,
            direction=Direction.OUTBOUND,
            status=AttemptStatus.ANSWERED,
            reserved_at=at(10),
            ended_at=at(10, 3),
            ruleset_version="test",
        )
        session.add(call)
        session.flush()
        call_id = call.id
    assert both_roads(sessions, family, at(10, 4)) == (closed, closed)
    with sessions.begin() as session:
        said = "接听者说不认识债务人，号码错误"
        note = NoteInput(call_id, NoteOutcome.WRONG_NUMBER, None, said)
        add_note(session, agent_id, "agent1", note, at(10, 5))

    assert _state(sessions, debtor.phone_number_id) is NumberState.WRONG_PERSON
    (row,) = _audit(sessions, "number.wrong_person")
    assert row.actor == "agent1" and row.detail["before"] == "unverified"
    assert both_roads(sessions, family, at(10, 30)) == ("allowed", "allowed")
    # a later finding on it keeps the first (and its reason)
    with sessions.begin() as session:
        changed = mark_number(session, debtor.phone_number_id, NumberState.UNREACHABLE, "x", "y")
    assert not changed
    assert _state(sessions, debtor.phone_number_id) is NumberState.WRONG_PERSON
