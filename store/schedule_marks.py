"""Writers mark what a kept schedule must recompute, in the transaction of their change.

Installed once on every :class:`~sqlalchemy.orm.Session`, so no write path can forget it:

- an ORM object flushed (an attempt reserved, a note, a hold, a consent, a do-not-call entry, a case
  whose status a note changed) adds a :class:`ScheduleMark` naming its case, person or
  number;
- an ORM-enabled ``UPDATE`` of ``call_attempt`` (an attempt originated, answered, ended,
  released, expired) reads the rows it is about to change and marks each;
- any other ``INSERT``/``UPDATE``/``DELETE`` of a table the schedule reads (an import, an
  agent change) adds a mark that names nothing: rebuild it all.

A mark is a row: it commits or rolls back with the change it describes. I/O: inserts only,
through the writer's own session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from store.models import (
    Agent,
    CallAttempt,
    Case,
    CaseConsent,
    CaseContact,
    ClientBank,
    CollectionNote,
    DoNotCall,
    Hold,
    Person,
    PhoneNumber,
    ScheduleMark,
)
from store.types import utcnow

Mark = tuple[int | None, int | None, str | None]
"""(case id, person id, e164); all None: everything."""
EVERYTHING: Mark = (None, None, None)
_READ_BY_SCHEDULE = {
    t.__tablename__
    for t in (
        Agent,
        CallAttempt,
        Case,
        CaseConsent,
        CaseContact,
        ClientBank,
        CollectionNote,
        DoNotCall,
        Hold,
    )
} | {Person.__tablename__, PhoneNumber.__tablename__}


def install() -> None:
    """Listen on every session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _on_execute)


def _marks_of(obj: object) -> list[Mark]:
    if isinstance(obj, CallAttempt):
        return [(obj.case_id, obj.person_id, obj.e164)]
    if isinstance(obj, CollectionNote | Hold | CaseConsent):
        return [(obj.case_id, None, None)]
    if isinstance(obj, Case):
        return [(obj.id, None, None)] if obj.id is not None else [EVERYTHING]
    if isinstance(obj, DoNotCall):
        return [(None, None, obj.e164)]
    if isinstance(obj, PhoneNumber) and _only_state_changed(obj):
        # what a call taught us about a known number: its person's cases, as debtor or
        # contact (anything else about a number may move it between people: everything)
        return [(None, obj.person_id, obj.e164)]
    if isinstance(obj, Agent | Person | PhoneNumber | CaseContact | ClientBank):
        return [EVERYTHING]
    return []


def _only_state_changed(number: PhoneNumber) -> bool:
    found = inspect(number)
    if found.transient or found.pending or found.deleted:
        return False
    changed = {attr.key for attr in found.attrs if attr.history.has_changes()}
    return changed == {"state"}


def _before_flush(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    marks: set[Mark] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue  # only touched, nothing to write
        marks.update(_marks_of(obj))
    _add(session, marks)


def _on_execute(state: ORMExecuteState) -> None:
    statement: Any = state.statement
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in _READ_BY_SCHEDULE:
        return
    session = state.session
    if name == CallAttempt.__tablename__ and state.is_update:
        # the rows about to change, each marked; the update may then match fewer (no harm)
        where = statement.whereclause
        rows = select(CallAttempt.case_id, CallAttempt.person_id, CallAttempt.e164)
        found = session.execute(rows if where is None else rows.where(where))
        _add(session, {(c, p, e) for c, p, e in found})
    else:
        _add(session, {EVERYTHING})


def _add(session: Session, marks: set[Mark]) -> None:
    if not marks:
        return
    at = utcnow()
    rows = [
        {"case_id": case_id, "person_id": person_id, "e164": e164, "created_at": at}
        for case_id, person_id, e164 in sorted(marks, key=repr)
    ]
    # Core insert on the session's connection: neither a flush nor this listener again.
    session.connection().execute(insert(ScheduleMark), rows)
