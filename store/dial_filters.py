"""Which rows a dial decision reads: the filters every loader of policy facts goes through
(query builders only; no session, no I/O).

Kept apart from :mod:`store.reservation` so that :mod:`store.debtor_facts` (the third-party
gate's rows, read by the reservation itself) counts attempts by the same filter without
importing the reservation back.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, func, or_, select

from store.enums import AttemptStatus, ConsentScope, Direction, HoldReason
from store.models import CallAttempt, CaseConsent, Hold


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


OUR_SIDE_CAUSES = ("34", "38", "41", "42", "44", "47")
"""Q.850 causes of a failure in our trunk or the network between (no circuit, network out of
order, temporary failure, congestion, channel or resource unavailable): the callee's phone
never rang."""
OUR_SIDE_REASONS = ("0", "8")
"""OriginateResponse reasons with no Hangup cause to say more (could not dial, congestion):
counted as ours, since no one can tell."""
OUR_SIDE_ENDS = ("AMI link lost", "expired in flight")
"""How the dialer records an attempt whose end it lost (``dialer.campaign``,
``store.attempts.expire_stale``)."""


def failed_on_our_side() -> ColumnElement[bool]:
    """Which failed attempts the callee had no chance to answer: our line, our network or our
    dialer failed (the causes above, as ``dialer.outcomes`` writes them, "… (cause 34)").

    The third-party gate does not count them as the debtor's failures: a trunk outage must
    not open it. Caps still count them (an attempt was made; counting more fails closed)."""
    cause = func.coalesce(CallAttempt.hangup_cause, "")  # none recorded: no one can tell
    endings = [cause.endswith(f"(cause {c})") for c in OUR_SIDE_CAUSES]
    endings += [cause.endswith(f"(reason {r})") for r in OUR_SIDE_REASONS]
    return and_(
        CallAttempt.status == AttemptStatus.FAILED,
        or_(cause.in_((*OUR_SIDE_ENDS, "")), *endings),
    )


LONGEST_CALL = timedelta(hours=2)
"""A call answered longer ago than this whose end was never recorded (a lost hangup) no
longer keeps its person off the line: the block would otherwise last for ever."""


def calls_up(now: datetime) -> ColumnElement[bool]:
    """Which attempt rows are a call up at ``now``, in either direction: an outbound one
    in flight, or any answered one not yet ended, reserved within :data:`LONGEST_CALL`.

    The one filter both roads read ``on_the_line`` through (issue 17: a number on the line
    with one agent is not dialled by another)."""
    in_flight = CallAttempt.status.in_((AttemptStatus.RESERVED, AttemptStatus.ORIGINATED))
    talking = and_(CallAttempt.status == AttemptStatus.ANSWERED, CallAttempt.ended_at.is_(None))
    return and_(
        or_(in_flight, talking),
        CallAttempt.reserved_at > now - LONGEST_CALL,
        CallAttempt.reserved_at <= now,
    )


ConsentRow = tuple[int, int, ConsentScope, datetime, datetime]
"""(case id, consent id, scope, valid from, valid until)"""


def consents_in_force(now: datetime) -> Select[int, int, ConsentScope, datetime, datetime]:
    """Each case's consents a dial decision at ``now`` or later may read (issue 19): approved,
    not withdrawn, not yet expired; by id. A request not yet approved never counts.

    The one filter both roads read consents through; the policy itself checks each
    consent's period against the instant it decides."""
    return (
        select(
            CaseConsent.case_id,
            CaseConsent.id,
            CaseConsent.scope,
            CaseConsent.valid_from,
            CaseConsent.valid_until,
        )
        .where(
            CaseConsent.approved_at.is_not(None),
            CaseConsent.withdrawn_at.is_(None),
            CaseConsent.valid_until > now,
        )
        .order_by(CaseConsent.id)
    )


def open_holds() -> Select[int, HoldReason]:
    """Each case's holds not yet cleared, first placed first: a case with several is on hold
    for the first one's reason, at dial time and in worklists alike."""
    return (
        select(Hold.case_id, Hold.reason)
        .where(Hold.cleared_at.is_(None))
        .order_by(Hold.placed_at, Hold.id)
    )
