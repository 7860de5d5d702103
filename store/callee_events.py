"""What the called party said changes the schedule: a complaint stops the case (停催),
a third party's "don't call" puts the number on the do-not-call list.

Both are written in the caller's transaction, with an audit row, and both are
what the policy engine reads next time (an open Hold blocks the case, a
DoNotCall row blocks the number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.enums import HoldReason
from store.models import CallAttempt, DoNotCall, Flag, Hold

COMPLAINT = "complaint_tendency"
DO_NOT_CALL = "do_not_call_request"
ACTOR = "detector"


@dataclass(frozen=True)
class EventsApplied:
    holds: tuple[int, ...]
    """Cases put on hold."""
    do_not_call: tuple[str, ...]
    """Numbers (E.164) added to the do-not-call list."""


def apply_callee_events(
    session: Session, attempt: CallAttempt | None, flags: list[Flag], now: datetime
) -> EventsApplied:
    """Apply every event flag of one recording; repeating it changes nothing."""
    holds: list[int] = []
    numbers: list[str] = []
    if attempt is None:
        return EventsApplied((), ())  # a batch file: no case, no number to act on
    for flag in flags:
        if flag.category == COMPLAINT and _hold_case(session, attempt, flag, now):
            holds.append(attempt.case_id)
        elif flag.category == DO_NOT_CALL and _block_number(session, attempt, flag, now):
            numbers.append(attempt.e164)
    return EventsApplied(tuple(holds), tuple(numbers))


def _hold_case(session: Session, attempt: CallAttempt, flag: Flag, now: datetime) -> bool:
    open_hold = session.scalars(
        select(Hold.id).where(
            Hold.case_id == attempt.case_id,
            Hold.reason == HoldReason.COMPLAINT_TENDENCY,
            Hold.cleared_at.is_(None),
        )
    ).first()
    if open_hold is not None:
        return False
    hold = Hold(
        case_id=attempt.case_id,
        reason=HoldReason.COMPLAINT_TENDENCY,
        detail=f"{flag.start_s:.1f}s: {flag.evidence}",
        source_flag_id=flag.id,
        placed_by=ACTOR,
        placed_at=now,
    )
    session.add(hold)
    session.flush()
    record_audit(
        session,
        ACTOR,
        "hold.placed",
        object_type="case",
        object_id=str(attempt.case_id),
        detail={"reason": HoldReason.COMPLAINT_TENDENCY, "flag_id": flag.id, "hold_id": hold.id},
    )
    return True


def _block_number(session: Session, attempt: CallAttempt, flag: Flag, now: datetime) -> bool:
    if session.scalars(select(DoNotCall.id).where(DoNotCall.e164 == attempt.e164)).first():
        return False
    session.add(
        DoNotCall(
            e164=attempt.e164,
            reason=f"第三方要求不再联系 / third party asked not to be called: {flag.evidence}",
            source_flag_id=flag.id,
            created_by=ACTOR,
            created_at=now,
        )
    )
    record_audit(
        session,
        ACTOR,
        "do_not_call.added",
        object_type="phone_number",
        object_id=str(attempt.phone_number_id or ""),
        detail={"flag_id": flag.id, "case_id": attempt.case_id},
    )
    return True
