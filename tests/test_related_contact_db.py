"""Related contacts made due by their 3rd working day, through the store (issue 19): the
book's histories carry the last related attempt, the kept schedule's owner wakes the case at
its instant and keeps the same rows as a fresh build, and the agent's "due today" filter
lists it with its reason in Chinese. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from console.agent_queue import case_queue
from dialer.related_contact import RELATED_RULE
from store.db import SessionFactory
from store.enums import AttemptStatus
from store.kept_schedule import KeptItem
from store.models import Agent, Case
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets, load_sample
from tests.test_kept_schedule import PROFILE, fresh, kept_rows, owner_of, owner_pass

SH = ZoneInfo("Asia/Shanghai")
FRIDAY, TUESDAY, WEDNESDAY = date(2026, 12, 4), date(2026, 12, 8), date(2026, 12, 9)


def cn(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


@pytest.fixture
def family(sessions: SessionFactory) -> Target:
    """A case of the sample whose debtor went unanswered 3 times on Friday morning (the
    third-party gate opens) and whose family contact was then called once, unanswered; the
    case is A01's."""
    load_sample(sessions)
    with sessions.begin() as session:
        session.add(Agent(code="A01", name="A01", sip_endpoint="PJSIP/a01"))
    contact = contact_targets(sessions, "family")[0]
    debtor = next(t for t in debtor_targets(sessions) if t.case_id == contact.case_id)
    add_attempts(
        sessions, debtor, [cn(FRIDAY, 9, 20 * i) for i in range(3)], AttemptStatus.NO_ANSWER
    )
    add_attempts(sessions, contact, [cn(FRIDAY, 11)], AttemptStatus.NO_ANSWER)
    with sessions.begin() as session:
        a01 = session.scalars(select(Agent.id).where(Agent.code == "A01")).one()
        session.execute(
            update(Case).where(Case.id == contact.case_id).values(assigned_agent_id=a01)
        )
    return contact


def _rule_of(rows: list[KeptItem], case_id: int) -> set[str]:
    return {row.rule for row in rows if row.case_id == case_id}


def test_the_owner_wakes_the_case_on_its_3rd_working_day_as_related_contact_due(
    sessions: SessionFactory, family: Target
) -> None:
    owner = owner_of(sessions)
    state, _ = owner_pass(owner, cn(TUESDAY, 10))
    items, _ = kept_rows(sessions)
    assert _rule_of(items, family.case_id) == {"schedule.lost_contact"}
    # the case's own instant (here a midnight too) bounds the rows
    assert state.valid_until <= cn(WEDNESDAY, 0)
    assert owner.wakes[family.case_id] == cn(WEDNESDAY, 0)
    state, done = owner_pass(owner, cn(WEDNESDAY, 10))
    assert done.why is not None
    items, blocked = kept_rows(sessions)
    assert (items, blocked) == fresh(sessions, cn(WEDNESDAY, 10))
    mine = [item for item in items if item.case_id == family.case_id]
    assert {item.rule for item in mine} == {RELATED_RULE}
    assert family.phone_number_id in {item.phone_number_id for item in mine}
    assert "关联人上次联系 2026-12-04，每 3 个工作日至少联系一次，2026-12-09 到期" in mine[0].reason
    assert mine[0].due_by == cn(WEDNESDAY, 23, 59) + timedelta(seconds=59)


def test_due_today_lists_the_case_with_its_reason_in_chinese(
    sessions: SessionFactory, family: Target
) -> None:
    owner_pass(owner_of(sessions), cn(WEDNESDAY, 10))
    with sessions() as session:
        a01 = session.scalars(select(Agent.id).where(Agent.code == "A01")).one()
        before = case_queue(
            session, PROFILE, cn(TUESDAY, 10), (a01, "A01"), show="due_today", limit=500
        )
        queue = case_queue(
            session, PROFILE, cn(WEDNESDAY, 10), (a01, "A01"), show="due_today", limit=500
        )
    assert family.case_id not in {row.file.case_id for row in before.rows}
    (row,) = [row for row in queue.rows if row.file.case_id == family.case_id]
    assert row.due == "关联人联系到期"
    assert "2026-12-09 到期" in row.reason
    family_row = next(n for n in row.numbers if n.phone_number_id == family.phone_number_id)
    assert family_row.dialable
