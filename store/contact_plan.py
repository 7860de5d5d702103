"""The contact plan (联系计划): which cases a team lead must look at today.

Two lists in one, for the cases a viewer may see (:mod:`store.scope`: a supervisor their
teams' agents' cases, an admin every case):

- **short of contacts**: a debtor contacted fewer than ``plan_min_contacts`` times (the seed:
  6) in the current cycle. A contact is an outbound call placed to the case's debtor, on any
  of their numbers, answered or not (a dial the policy refused is not one). The cycle is the
  current calendar month on the centre's clock, the month by which a client bank settles
  with its agency and a team lead reviews the work; for a case assigned (imported) during
  the month, from its import.
- **strategy change due** (需调整策略): after a default, or ``strategy_change_after_failures``
  (the seed: 3) or more failed contacts in a row, the case's strategy must change. A failed
  contact is an outbound call on the case (to the debtor or a contact) that went unanswered,
  was busy or failed; any answered call on the case, either way, ends the run. A default
  (违约) is a promise to pay whose date has passed while the case is still ``promised``.

Cases that are paid, closed or in a special status, and cases on hold (停催), are left out:
nobody may call them, so no plan applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Subquery, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from store.enums import AttemptStatus, CaseStatus, Direction, Role
from store.models import Agent, CallAttempt, Case, ClientBank, CollectionNote, Hold
from store.scope import Viewer, visible_agent_ids

FAILED = (AttemptStatus.NO_ANSWER, AttemptStatus.BUSY, AttemptStatus.FAILED)
WORKED = (CaseStatus.ACTIVE, CaseStatus.PROMISED)
CYCLE_ZH = "本月（自 {start} 起；当月委案的自委案日起）"
CYCLE_EN = "this month (from {start}; cases assigned during the month from their assignment)"


@dataclass(frozen=True)
class PlanTerms:
    """What the plan checks (the profile's ``[scheduling]``)."""

    min_contacts: int = 6
    failures: int = 3


@dataclass(frozen=True)
class PlanRow:
    case_id: int
    account_no: str
    client_bank: str
    agent: str | None
    cycle_start: date
    contacts: int
    """Outbound calls placed to the debtor in the cycle."""
    connected: int
    """Of those, answered."""
    failed_in_a_row: int
    broken_promise: date | None
    short: bool
    strategy_change: bool

    def reasons(self, terms: PlanTerms) -> list[tuple[str, str]]:
        """Why the case is listed: (中文, English) pairs."""
        found = []
        if self.broken_promise is not None:
            found.append(
                (
                    f"承诺 {self.broken_promise} 还款未兑现（违约），需调整策略",
                    f"promise to pay on {self.broken_promise} broken (default): change strategy",
                )
            )
        if self.failed_in_a_row >= terms.failures:
            found.append(
                (
                    f"连续 {self.failed_in_a_row} 次联系失败，需调整策略",
                    f"{self.failed_in_a_row} failed contacts in a row: change strategy",
                )
            )
        if self.short:
            found.append(
                (
                    f"本周期联系债务人 {self.contacts} 次，少于 {terms.min_contacts} 次",
                    f"debtor contacted {self.contacts} times this cycle, fewer than "
                    f"{terms.min_contacts}",
                )
            )
        return found


def cycle_start(now: datetime, zone: str) -> datetime:
    """The current cycle's start: the first of this month, midnight on the centre's clock."""
    local = now.astimezone(ZoneInfo(zone))
    return datetime.combine(local.date().replace(day=1), time(0), tzinfo=local.tzinfo)


def contact_plan(
    session: Session, viewer: Viewer, now: datetime, zone: str, terms: PlanTerms
) -> list[PlanRow]:
    """The cases ``viewer`` may see that are short of contacts or due a strategy change:
    strategy changes first, then the fewest contacts, then by case."""
    month = cycle_start(now, zone)
    today = now.astimezone(ZoneInfo(zone)).date()
    contacts = _debtor_contacts(month, now)
    run = _failed_run()
    promise = _latest_promise()
    n_contacts = func.coalesce(contacts.c.contacts, 0)
    n_failed = func.coalesce(run.c.failed, 0)
    broken = and_(Case.status == CaseStatus.PROMISED, promise.c.day < today)
    query = (
        select(
            Case.id,
            Case.account_no,
            ClientBank.code,
            Agent.code,
            Case.imported_at,
            n_contacts,
            func.coalesce(contacts.c.connected, 0),
            n_failed,
            case((broken, promise.c.day), else_=literal(None)),
        )
        .join(ClientBank, ClientBank.id == Case.client_bank_id)
        .outerjoin(Agent, Agent.id == Case.assigned_agent_id)
        .outerjoin(contacts, contacts.c.case_id == Case.id)
        .outerjoin(run, run.c.case_id == Case.id)
        .outerjoin(promise, promise.c.case_id == Case.id)
        .where(
            Case.status.in_(WORKED),
            ~exists().where(Hold.case_id == Case.id, Hold.cleared_at.is_(None)),
            _in_scope(viewer),
            or_(n_contacts < terms.min_contacts, n_failed >= terms.failures, broken),
        )
    )
    rows = [_row(values, month, terms) for values in session.execute(query)]
    rows.sort(key=lambda r: (not r.strategy_change, r.contacts, r.case_id))
    return rows


def _in_scope(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.role is Role.ADMIN:  # every case, also those no agent holds yet
        return literal(True)
    return Case.assigned_agent_id.in_(visible_agent_ids(viewer))


def _row(values: Sequence[object], month: datetime, terms: PlanTerms) -> PlanRow:
    case_id, account, bank, agent, imported, contacts, connected, failed, broken = values
    assert isinstance(imported, datetime) and isinstance(contacts, int)
    assert isinstance(failed, int) and isinstance(connected, int)
    start = max(month, imported.astimezone(month.tzinfo))
    return PlanRow(
        int(str(case_id)),
        str(account),
        str(bank),
        None if agent is None else str(agent),
        start.date(),
        contacts,
        connected,
        failed,
        broken if isinstance(broken, date) else None,
        contacts < terms.min_contacts,
        failed >= terms.failures or broken is not None,
    )


def _debtor_contacts(month: datetime, now: datetime) -> Subquery:
    """Per case: calls placed to its debtor in the cycle, and how many were answered."""
    return (
        select(
            CallAttempt.case_id,
            func.count().label("contacts"),
            func.sum(case((CallAttempt.status == AttemptStatus.ANSWERED, 1), else_=0)).label(
                "connected"
            ),
        )
        .join(Case, Case.id == CallAttempt.case_id)
        .where(
            CallAttempt.direction == Direction.OUTBOUND,
            CallAttempt.status != AttemptStatus.BLOCKED,
            CallAttempt.person_id == Case.debtor_id,
            CallAttempt.reserved_at >= month,
            CallAttempt.reserved_at >= Case.imported_at,  # the cycle starts at the import
            CallAttempt.reserved_at <= now,
        )
        .group_by(CallAttempt.case_id)
        .subquery()
    )


def _failed_run() -> Subquery:
    """Per case: failed outbound calls since the last answered call (either way), all time."""
    answered = (
        select(CallAttempt.case_id, func.max(CallAttempt.reserved_at).label("last"))
        .where(CallAttempt.status == AttemptStatus.ANSWERED)
        .group_by(CallAttempt.case_id)
        .subquery()
    )
    return (
        select(CallAttempt.case_id, func.count().label("failed"))
        .outerjoin(answered, answered.c.case_id == CallAttempt.case_id)
        .where(
            CallAttempt.direction == Direction.OUTBOUND,
            CallAttempt.status.in_(FAILED),
            or_(answered.c.last.is_(None), CallAttempt.reserved_at > answered.c.last),
        )
        .group_by(CallAttempt.case_id)
        .subquery()
    )


def _latest_promise() -> Subquery:
    """Per case: the date of the latest promise to pay (the newest note that holds one)."""
    latest = (
        select(func.max(CollectionNote.id).label("id"))
        .where(CollectionNote.promised_date.is_not(None))
        .group_by(CollectionNote.case_id)
    )
    return (
        select(CollectionNote.case_id, CollectionNote.promised_date.label("day"))
        .where(CollectionNote.id.in_(latest))
        .subquery()
    )
