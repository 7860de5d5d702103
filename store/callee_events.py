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
    hold = hold_for_complaint(
        session,
        attempt.case_id,
        f"{flag.start_s:.1f}s: {flag.evidence}",
        now,
        actor=ACTOR,
        source_flag_id=flag.id,
        audit={"flag_id": flag.id},
    )
    return hold is not None


def hold_for_complaint(  # noqa: PLR0917 (who, why and from what)
    session: Session,
    case_id: int,
    detail: str,
    now: datetime,
    actor: str,
    source_flag_id: int | None,
    audit: dict[str, object],
) -> int | None:
    """Put the case on a complaint hold unless one is open; the new hold's id, or None.

    Shared by the post-call pipeline (a stored flag) and the live follower (an utterance
    heard while the call is up), so the two never place two holds for one complaint.
    """
    open_hold = session.scalars(
        select(Hold.id).where(
            Hold.case_id == case_id,
            Hold.reason == HoldReason.COMPLAINT_TENDENCY,
            Hold.cleared_at.is_(None),
        )
    ).first()
    if open_hold is not None:
        return None
    hold = Hold(
        case_id=case_id,
        reason=HoldReason.COMPLAINT_TENDENCY,
        detail=detail,
        source_flag_id=source_flag_id,
        placed_by=actor,
        placed_at=now,
    )
    session.add(hold)
    session.flush()
    record_audit(
        session,
        actor,
        "hold.placed",
        object_type="case",
        object_id=str(case_id),
        detail={"reason": HoldReason.COMPLAINT_TENDENCY, **audit, "hold_id": hold.id},
    )
    return hold.id


def _block_number(session: Session, attempt: CallAttempt, flag: Flag, now: datetime) -> bool:
    return block_number(session, attempt, flag.evidence, now, ACTOR, flag.id, {"flag_id": flag.id})


def block_number(  # noqa: PLR0917 (who, why and from what)
    session: Session,
    attempt: CallAttempt,
    evidence: str,
    now: datetime,
    actor: str,
    source_flag_id: int | None,
    audit: dict[str, object],
) -> bool:
    """Put the attempt's number on do-not-call unless it is there already."""
    if session.scalars(select(DoNotCall.id).where(DoNotCall.e164 == attempt.e164)).first():
        return False
    session.add(
        DoNotCall(
            e164=attempt.e164,
            reason=f"第三方要求不再联系 / third party asked not to be called: {evidence}",
            source_flag_id=source_flag_id,
            created_by=actor,
            created_at=now,
        )
    )
    record_audit(
        session,
        actor,
        "do_not_call.added",
        object_type="phone_number",
        object_id=str(attempt.phone_number_id or ""),
        detail={**audit, "case_id": attempt.case_id},
    )
    return True
