"""A stamp of what an agent's worklist page shows from the database: equal stamps, equal
pages (the console serves a page again while its stamp holds; issue 17, 50 agents at once)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.kept_schedule import STATE_ID
from store.models import Payment, ScheduleMark, ScheduleState

Stamp = tuple[int, int, int, int, int]


def worklist_stamp(session: Session) -> Stamp:
    """Numbers that change whenever anything a kept worklist page reads does: the kept rows'
    generation; the writers' marks waiting, which every write to a table the schedule or a
    case file reads adds (between two owner writes marks are only added, so their largest
    id and their count only grow); and the payments, which mark nothing (a partial payment
    changes the page, not the schedule).

    Read it before what it stamps: under PostgreSQL each statement sees the newest commits,
    so what is read after it is at least as new, and a later change makes another stamp."""
    generation = session.scalar(
        select(ScheduleState.generation).where(ScheduleState.id == STATE_ID)
    )
    marks = session.execute(select(func.max(ScheduleMark.id), func.count(ScheduleMark.id))).one()
    paid = session.execute(select(func.max(Payment.id), func.count(Payment.id))).one()
    return (generation or 0, marks[0] or 0, marks[1], paid[0] or 0, paid[1])
