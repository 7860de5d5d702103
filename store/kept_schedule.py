"""The kept schedule's rows: read by every console and dialer, written by its one owner.

Readers ask :func:`problem` first: a kept schedule is served only if it was built under
the same profile, for the same agents, for an instant whose validity still covers ``now``,
and no writer's mark has waited longer than the allowed lag. Otherwise the caller computes
the schedule itself and says so. The owner (:mod:`dialer.keeper`) builds outside any write
transaction and writes only if no other owner wrote meanwhile (``generation``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.orm import Session

from store.models import (
    CallAttempt,
    Case,
    CaseContact,
    PhoneNumber,
    ScheduleBlocked,
    ScheduleEntry,
    ScheduleMark,
    ScheduleState,
)
from store.said import N_, Said

STATE_ID = 1
NO_DEADLINE = datetime(9999, 1, 1, tzinfo=UTC)
"""``due_key`` of an item without a first-call deadline: after every deadline."""
DEFAULT_LAG = timedelta(seconds=5)
"""How long a writer's mark may wait for the owner before readers stop trusting the rows."""
TIERS = (
    "schedule.first_call",
    "schedule.promise_follow_up",
    "schedule.related_contact",
    "schedule.lost_contact",
    "schedule.routine",
)
_TIER = {rule: tier for tier, rule in enumerate(TIERS)}
_ORDER = (
    ScheduleEntry.tier,
    ScheduleEntry.due_key,
    ScheduleEntry.neg_days_past_due,
    ScheduleEntry.neg_amount_cents,
    ScheduleEntry.case_id,
    ScheduleEntry.place,
)


@dataclass(frozen=True, slots=True)
class KeptItem:
    """One number on a worklist, as the agent's page shows it."""

    agent: str
    case_id: int
    phone_number_id: int
    account_no: str
    kind: str
    e164: str
    rule: str
    reason: str
    due_by: datetime | None
    reason_zh: str = ""
    """The reason in Chinese only, and in English only (empty on rows kept before
    migration 0026: the console then shows ``reason``)."""
    reason_en: str = ""


@dataclass(frozen=True, slots=True)
class KeptBlocked:
    """A number of a dealt case that may not be dialled now, and why (issue 22)."""

    case_id: int
    phone_number_id: int
    rule: str
    reason_zh: str
    next_allowed_at: datetime | None
    reason_en: str = ""
    """The same reason in English (empty on rows kept before migration 0024)."""


@dataclass(frozen=True, slots=True)
class Mark:
    id: int
    case_id: int | None
    person_id: int | None
    e164: str | None


def problem(
    session: Session,
    ruleset: str,
    agents: Sequence[str],
    now: datetime,
    *,
    wall_now: datetime,
    lag: timedelta = DEFAULT_LAG,
) -> Said | None:
    """Why the kept rows may not be served at ``now`` (None: they may), for the console to
    say in its reader's language. ``wall_now``: the real clock, which the marks' age is
    measured on."""
    state = session.get(ScheduleState, STATE_ID)
    if state is None:
        return Said(N_("还没有保存的排程"))
    if state.ruleset != ruleset:
        return Said(N_("保存的排程是按另一份策略生成的"))
    if state.agents != "\n".join(agents):
        return Said(N_("排程保存后坐席有变动"))
    if not state.built_for <= now < state.valid_until:
        return Said(N_("保存的排程不是此时刻的"))
    oldest = session.scalar(select(func.min(ScheduleMark.created_at)))
    if oldest is not None and wall_now - oldest > lag:
        waiting = N_("有变动在等排程维护进程处理（超过 %(seconds)s 秒）")
        return Said(waiting, {"seconds": lag.seconds})
    return None


_COLUMNS = (
    ScheduleEntry.agent,
    ScheduleEntry.case_id,
    ScheduleEntry.phone_number_id,
    ScheduleEntry.account_no,
    ScheduleEntry.kind,
    ScheduleEntry.e164,
    ScheduleEntry.rule,
    ScheduleEntry.reason,
    ScheduleEntry.due_by,
    ScheduleEntry.reason_zh,
    ScheduleEntry.reason_en,
)


def agent_items(session: Session, agent: str, limit: int) -> tuple[list[KeptItem], int]:
    """The agent's ``limit`` most due items, and how many the agent has."""
    return first_items(session, agent, limit)


def first_items(
    session: Session, agent: str | None, limit: int | None
) -> tuple[list[KeptItem], int]:
    """The ``limit`` most due items (None: all) of ``agent`` (None: every agent's), and how
    many there are."""
    mine = [] if agent is None else [ScheduleEntry.agent == agent]
    rows = session.execute(select(*_COLUMNS).where(*mine).order_by(*_ORDER).limit(limit))
    total = session.scalar(select(func.count()).select_from(ScheduleEntry).where(*mine))
    return [_item(row) for row in rows], int(total or 0)


def _item(row: Any) -> KeptItem:
    return KeptItem(*row)


def offered(session: Session, agent: str, phone_number_id: int, case_id: int) -> KeptItem | None:
    """The item if that number of that case is on the agent's worklist."""
    row = session.execute(
        select(*_COLUMNS)
        .where(
            ScheduleEntry.agent == agent,
            ScheduleEntry.case_id == case_id,
            ScheduleEntry.phone_number_id == phone_number_id,
        )
        .limit(1)
    ).first()
    return _item(row) if row else None


def has_case(session: Session, agent: str, case_id: int) -> bool:
    return (
        session.scalar(
            select(ScheduleEntry.id)
            .where(ScheduleEntry.agent == agent, ScheduleEntry.case_id == case_id)
            .limit(1)
        )
        is not None
    )


def first_cases(
    session: Session,
    agent: str,
    limit: int,
    *,
    rule: str | None = None,
    due_by: datetime | None = None,
    never_called: bool = False,
) -> tuple[list[int], int]:
    """The agent's ``limit`` most due cases, and how many there are: only those due under
    ``rule``, with a deadline by ``due_by``, or never called, if asked."""
    where = [ScheduleEntry.agent == agent, ScheduleEntry.place == 0]  # one row per case
    if rule is not None:
        where.append(ScheduleEntry.rule == rule)
    if due_by is not None:
        where.append(ScheduleEntry.due_key <= due_by)
    if never_called:
        where.append(~exists().where(CallAttempt.case_id == ScheduleEntry.case_id))
    ids = session.scalars(
        select(ScheduleEntry.case_id).where(*where).order_by(*_ORDER).limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(ScheduleEntry).where(*where))
    return list(ids), int(total or 0)


def case_items(session: Session, agent: str, case_ids: Collection[int]) -> list[KeptItem]:
    """The agent's items of ``case_ids``, in the schedule's order."""
    found: list[KeptItem] = []
    for chunk in _chunks(sorted(case_ids)):
        mine = (ScheduleEntry.agent == agent, ScheduleEntry.case_id.in_(chunk))
        found.extend(map(_item, session.execute(select(*_COLUMNS).where(*mine).order_by(*_ORDER))))
    return found


def blocked_of(session: Session, case_ids: Collection[int]) -> list[KeptBlocked]:
    """The kept blocked numbers of ``case_ids`` (only cases with a dialable number have any)."""
    found: list[KeptBlocked] = []
    columns = (
        ScheduleBlocked.case_id,
        ScheduleBlocked.phone_number_id,
        ScheduleBlocked.rule,
        ScheduleBlocked.reason_zh,
        ScheduleBlocked.next_allowed_at,
        ScheduleBlocked.reason_en,
    )
    for chunk in _chunks(sorted(case_ids)):
        rows = session.execute(
            select(*columns)
            .where(ScheduleBlocked.case_id.in_(chunk))
            .order_by(ScheduleBlocked.case_id, ScheduleBlocked.id)
        )
        found.extend(KeptBlocked(*row) for row in rows)
    return found


def all_items(session: Session) -> list[KeptItem]:
    """Every agent's items, most due first (the order of a fresh build's ``dialable``)."""
    return [_item(row) for row in session.execute(select(*_COLUMNS).order_by(*_ORDER))]


def state(session: Session) -> ScheduleState | None:
    return session.get(ScheduleState, STATE_ID)


def pending_marks(session: Session) -> list[Mark]:
    rows = session.execute(
        select(ScheduleMark.id, ScheduleMark.case_id, ScheduleMark.person_id, ScheduleMark.e164)
    )
    return [Mark(*row) for row in rows]


def marked_cases(session: Session, marks: Sequence[Mark], limit: int) -> set[int] | None:
    """The cases whose entries ``marks`` may change: each mark's case, every case of its
    person (as debtor or contact: the person's history and, for a debtor, the third-party
    gate), and every case holding its number (anyone's attempt on a number is in that
    number's history; a do-not-call entry names only the number). None: the whole book (a
    mark names nothing, or more than ``limit`` cases would be recomputed)."""
    if any(m.case_id is None and m.person_id is None and m.e164 is None for m in marks):
        return None
    cases = {m.case_id for m in marks if m.case_id is not None}
    persons = {m.person_id for m in marks if m.person_id is not None}
    for numbers in _chunks(sorted({m.e164 for m in marks if m.e164 is not None})):
        persons.update(
            session.scalars(select(PhoneNumber.person_id).where(PhoneNumber.e164.in_(numbers)))
        )
    for chunk in _chunks(sorted(persons)):
        cases.update(session.scalars(select(Case.id).where(Case.debtor_id.in_(chunk))))
        cases.update(
            session.scalars(select(CaseContact.case_id).where(CaseContact.person_id.in_(chunk)))
        )
        if len(cases) > limit:
            return None
    return None if len(cases) > limit else cases


def entry_values(row: Any) -> dict[str, Any]:
    """A :class:`dialer.worklist.KeptRow` as ``schedule_entry`` column values."""
    return {
        "agent": row.agent,
        # a case whose debtor was reached today goes after every case that was not, as in
        # the scheduler's order: past every tier
        "tier": _TIER[row.rule] + (len(TIERS) if row.reached_today else 0),
        "due_key": row.due_by or NO_DEADLINE,
        "neg_days_past_due": -row.days_past_due,
        "neg_amount_cents": -row.amount_overdue_cents,
        "case_id": row.case_id,
        "place": row.place,
        "phone_number_id": row.phone_number_id,
        "account_no": row.account_no,
        "kind": row.kind,
        "e164": row.e164,
        "rule": row.rule,
        "reason": row.reason,
        "due_by": row.due_by,
        "reason_zh": row.reason_zh,
        "reason_en": row.reason_en,
    }


def blocked_values(row: Any) -> dict[str, Any]:
    """A :class:`dialer.worklist.BlockedRow` as ``schedule_blocked`` column values."""
    return {
        "case_id": row.case_id,
        "phone_number_id": row.phone_number_id,
        "rule": row.rule,
        "reason_zh": row.reason_zh,
        "next_allowed_at": row.next_allowed_at,
        "reason_en": row.reason_en,
    }


@dataclass(frozen=True, slots=True)
class Written:
    ruleset: str
    agents: Sequence[str]
    built_for: datetime
    valid_until: datetime
    written_at: datetime


class LostRace(Exception):
    """Another owner wrote the schedule since this one read it; its build is dropped."""


def write(
    session: Session,
    read_generation: int | None,
    written: Written,
    rows: Iterable[dict[str, Any]],
    marks: Sequence[Mark],
    *,
    cases: Collection[int] | None = None,
    blocked: Iterable[dict[str, Any]] = (),
) -> int:
    """Replace the entries and the ``blocked`` numbers (all of them, or only those of
    ``cases``), delete the applied ``marks`` and stamp the state, in the caller's
    transaction. Returns the entries written.

    Raises :class:`LostRace` unless the state is still at ``read_generation`` (None: no
    state yet)."""
    values = {
        "ruleset": written.ruleset,
        "agents": "\n".join(written.agents),
        "built_for": written.built_for,
        "valid_until": written.valid_until,
        "written_at": written.written_at,
    }
    if read_generation is None:
        session.execute(insert(ScheduleState).values(id=STATE_ID, generation=1, **values))
    else:
        claimed = session.execute(
            update(ScheduleState)
            .where(ScheduleState.id == STATE_ID, ScheduleState.generation == read_generation)
            .values(generation=read_generation + 1, **values)
        )
        if int(getattr(claimed, "rowcount", 0)) != 1:
            raise LostRace("another owner wrote the kept schedule meanwhile")
    if cases is None:
        session.execute(delete(ScheduleEntry))
        session.execute(delete(ScheduleBlocked))
        entries = 0
    else:  # counted as they change: a count(*) of a million rows per pass costs more
        known = session.scalar(select(ScheduleState.entries).where(ScheduleState.id == STATE_ID))
        entries = known or 0
        for chunk in _chunks(sorted(cases)):
            gone = session.execute(delete(ScheduleEntry).where(ScheduleEntry.case_id.in_(chunk)))
            entries -= int(getattr(gone, "rowcount", 0))
            session.execute(delete(ScheduleBlocked).where(ScheduleBlocked.case_id.in_(chunk)))
    count = 0
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            count += _insert(session, batch)
            batch = []
    count += _insert(session, batch)
    _insert_blocked(session, blocked)
    for chunk in _chunks([mark.id for mark in marks]):
        session.execute(delete(ScheduleMark).where(ScheduleMark.id.in_(chunk)))
    session.execute(
        update(ScheduleState).where(ScheduleState.id == STATE_ID).values(entries=entries + count)
    )
    return count


def _insert(session: Session, batch: list[dict[str, Any]]) -> int:
    if batch:
        session.execute(insert(ScheduleEntry), batch)
    return len(batch)


def _insert_blocked(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            session.execute(insert(ScheduleBlocked), batch)
            batch = []
    if batch:
        session.execute(insert(ScheduleBlocked), batch)


T = TypeVar("T")


def _chunks(values: list[T], size: int = 500) -> Iterable[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
