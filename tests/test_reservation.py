"""Reserving attempts at dial time, in the database, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, update

from compliance.policy import load_profile
from dialer.gate import PolicyJudge
from store.attempts import expire_stale
from store.db import SessionFactory, make_engine, make_session_factory
from store.enums import AttemptStatus, Direction, HoldReason
from store.errors import DatabaseUnavailable
from store.models import CallAttempt, DoNotCall, Hold
from store.reservation import reserve_attempt
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets, load_sample

JUDGE = PolicyJudge(load_profile("cn-default"))
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(h: int, mi: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 12, day, h, mi, tzinfo=SHANGHAI)


def reserve(
    sessions: SessionFactory, target: Target, now: datetime
) -> tuple[int, bool, str | None]:
    r = reserve_attempt(
        sessions, target.phone_number_id, target.case_id, now, JUDGE, lookback=JUDGE.lookback
    )
    return r.attempt_id, r.verdict.allowed, r.verdict.rule_id


def test_reserve_writes_the_decision_with_ruleset_counters_and_reason(
    sessions: SessionFactory,
) -> None:
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    attempt_id, allowed, _ = reserve(sessions, target, at(9))
    assert allowed
    with sessions() as session:
        row = session.get(CallAttempt, attempt_id)
        assert row is not None
        assert row.status == AttemptStatus.RESERVED and row.direction == Direction.OUTBOUND
        assert row.ruleset_version == JUDGE.profile.ruleset
        assert row.counters_seen["company.cap.connected"] == 0
        assert row.e164 == target.e164 and row.person_id == target.person_id


def test_in_flight_reservations_count_and_the_fourth_is_blocked(sessions: SessionFactory) -> None:
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    # Each left in flight (a dead dialer), each more than LONGEST_CALL after the one before,
    # so none is a call up at the next: what blocks the fourth is the cap alone.
    results = [reserve(sessions, target, at(h, m)) for m, h in enumerate((9, 11, 13, 15))]
    assert [allowed for _, allowed, _ in results] == [True, True, True, False]
    blocked_id = results[3][0]
    with sessions() as session:
        row = session.get(CallAttempt, blocked_id)
        assert row is not None and row.status == AttemptStatus.BLOCKED
        assert row.rule_id == "company.cap.connected"
        assert row.counters_seen["company.cap.connected"] == 3
        assert row.counters_seen["next_allowed_at"] == "2026-12-02T00:00:00+00:00"
        assert "3" in row.decision_reason


def test_reservations_a_dead_dialer_left_in_flight_expire(sessions: SessionFactory) -> None:
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    # reserved, then the dialer died: never ended
    add_attempts(sessions, target, [at(9, m) for m in range(3)], AttemptStatus.RESERVED)
    assert reserve(sessions, target, at(10))[2] == "law.one_call_at_a_time"  # may still be up
    assert reserve(sessions, target, at(11, 5))[2] == "company.cap.connected"  # still counted
    assert expire_stale(sessions, at(10, 30), timedelta(hours=2)) == 0  # not old enough yet
    assert expire_stale(sessions, at(11, 30), timedelta(hours=2)) == 3
    assert reserve(sessions, target, at(11, 31))[1]  # failed now: no longer possibly connected
    with sessions() as session:
        causes = session.scalars(select(CallAttempt.hangup_cause).order_by(CallAttempt.id)).all()
    assert causes[:3] == ["expired in flight"] * 3


def test_answered_and_unanswered_outcomes_feed_their_own_caps(sessions: SessionFactory) -> None:
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    for minute in range(5):
        attempt_id, allowed, _ = reserve(sessions, target, at(9, minute))
        assert allowed
        with sessions.begin() as session:
            session.execute(
                update(CallAttempt)
                .where(CallAttempt.id == attempt_id)
                .values(status=AttemptStatus.NO_ANSWER)
            )
    assert reserve(sessions, target, at(10))[2] == "company.cap.unanswered"


def test_inbound_calls_do_not_count(sessions: SessionFactory) -> None:
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    add_attempts(
        sessions, target, [at(8, m) for m in range(6)], AttemptStatus.ANSWERED, Direction.INBOUND
    )
    assert reserve(sessions, target, at(9))[1]


def test_hold_and_do_not_call_block_in_the_store(sessions: SessionFactory) -> None:
    load_sample(sessions)
    first, second = debtor_targets(sessions)[0], debtor_targets(sessions)[-1]
    with sessions.begin() as session:
        session.add(
            Hold(case_id=first.case_id, reason=HoldReason.COMPLAINT_TENDENCY, placed_by="detector")
        )
        session.add(DoNotCall(e164=second.e164, reason="asked", created_by="detector"))
    assert reserve(sessions, first, at(9))[2] == "law.hold"
    assert reserve(sessions, second, at(9))[2] == "law.do_not_call"


def test_family_contact_every_two_working_days(sessions: SessionFactory) -> None:
    load_sample(sessions)
    family = contact_targets(sessions, "family")[0]
    # the third-party gate: only once the debtor's last 3 calls failed (issue 19)
    assert reserve(sessions, family, at(9))[2] == "cba.third_party_gate"
    debtor = next(t for t in debtor_targets(sessions) if t.case_id == family.case_id)
    add_attempts(sessions, debtor, [at(8, m) for m in (1, 2, 3)], AttemptStatus.NO_ANSWER)
    assert reserve(sessions, family, at(9))[1]
    assert reserve(sessions, family, at(19, day=2))[2] == "company.third_party.interval"
    assert reserve(sessions, family, at(8, day=3))[1]  # Thursday: the 2nd working day


def test_special_status_case_is_never_reserved(sessions: SessionFactory) -> None:
    load_sample(sessions)
    jailed = debtor_targets(sessions, status="jailed")[0]
    assert reserve(sessions, jailed, at(9))[2] == "law.case_status"


def test_a_locked_sqlite_database_fails_closed(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "locked.db"
    path.write_bytes(sqlite_template.read_bytes())
    sessions = make_session_factory(make_engine(f"sqlite:///{path}"))
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    short = make_session_factory(make_engine(f"sqlite:///{path}", busy_timeout_s=0.2))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseUnavailable, match="could not reserve"):
            reserve(short, target, at(9))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(CallAttempt)) == 0
    assert reserve(short, target, at(9))[1]  # and it works again once the lock is gone


def test_a_sqlite_reservation_takes_the_write_lock_once(
    tmp_path: Path, sqlite_template: Path
) -> None:
    # Letting go of the lock between BEGIN and the read lets another writer in; under a busy
    # morning each extra hand-over is one more chance for a waiter to starve past its timeout.
    path = tmp_path / "once.db"
    path.write_bytes(sqlite_template.read_bytes())
    engine = make_engine(f"sqlite:///{path}")
    sessions = make_session_factory(engine)
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    statements: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement.strip().upper())

    assert reserve(sessions, target, at(9))[1]
    assert statements.count("BEGIN IMMEDIATE") == 1
    assert "COMMIT" not in statements[: statements.index("BEGIN IMMEDIATE") + 3]


def test_a_person_in_a_call_is_not_rung_by_another_agent(sessions: SessionFactory) -> None:
    load_sample(sessions)
    debtors = debtor_targets(sessions)
    mobile = debtors[0]
    same_person = [t for t in debtors if t.person_id == mobile.person_id]
    other = next(t for t in debtors if t.person_id != mobile.person_id)
    # the debtor rang in at 09:00 and is still talking to agent 1 (inbound: never counted)
    add_attempts(sessions, mobile, [at(9)], AttemptStatus.ANSWERED, Direction.INBOUND, up=True)
    for target in same_person:  # the number itself, and the person's other numbers
        assert reserve(sessions, target, at(9, 5))[2] == "law.one_call_at_a_time"
    assert reserve(sessions, other, at(9, 5))[1]  # someone else is not held up
    with sessions.begin() as session:
        session.execute(update(CallAttempt).values(ended_at=at(9, 6)))
    assert reserve(sessions, mobile, at(9, 7))[1]  # the call ended: dialable again


def test_an_outbound_call_up_keeps_the_person_off_other_lines(sessions: SessionFactory) -> None:
    load_sample(sessions)
    first = debtor_targets(sessions)[0]
    attempt_id, allowed, _ = reserve(sessions, first, at(9))
    assert allowed
    assert reserve(sessions, first, at(9, 1))[2] == "law.one_call_at_a_time"  # still ringing
    with sessions.begin() as session:
        session.execute(
            update(CallAttempt)
            .where(CallAttempt.id == attempt_id)
            .values(status=AttemptStatus.ANSWERED, answered_at=at(9, 1))
        )
    assert reserve(sessions, first, at(9, 3))[2] == "law.one_call_at_a_time"  # talking
    with sessions.begin() as session:
        session.execute(
            update(CallAttempt).where(CallAttempt.id == attempt_id).values(ended_at=at(9, 4))
        )
    assert reserve(sessions, first, at(9, 5))[1]


def test_a_lost_hangup_does_not_keep_a_person_off_the_line_for_ever(
    sessions: SessionFactory,
) -> None:
    load_sample(sessions)
    first = debtor_targets(sessions)[0]
    add_attempts(sessions, first, [at(8)], AttemptStatus.ANSWERED, Direction.INBOUND, up=True)
    assert reserve(sessions, first, at(9))[2] == "law.one_call_at_a_time"
    assert reserve(sessions, first, at(10, 1))[1]  # past LONGEST_CALL (2 h)
