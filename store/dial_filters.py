"""Which rows a dial decision reads: the filters every loader of policy facts goes through
(query builders only; no session, no I/O).

Kept apart from :mod:`store.reservation` so that :mod:`store.debtor_facts` (the third-party
gate's rows, read by the reservation itself) counts attempts by the same filter without
importing the reservation back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, select

from store.enums import AttemptStatus, Direction, HoldReason
from store.models import CallAttempt, Hold


def counted_attempts(since: datetime | None) -> ColumnElement[bool]:
    """Which attempt rows a dial decision counts: outbound ones (a callee's own call never
    counts), not blocked (never dialled), reserved after ``since`` (None: all time).

    The one filter the reservation, the worklist loader and the debtor facts read
    history through.
    """
    counted = and_(
        CallAttempt.direction == Direction.OUTBOUND, CallAttempt.status != AttemptStatus.BLOCKED
    )
    return counted if since is None else and_(counted, CallAttempt.reserved_at > since)


def open_holds() -> Select[int, HoldReason]:
    """Each case's holds not yet cleared, first placed first: a case with several is on hold
    for the first one's reason, at dial time and in worklists alike."""
    return (
        select(Hold.case_id, Hold.reason)
        .where(Hold.cleared_at.is_(None))
        .order_by(Hold.placed_at, Hold.id)
    )
