"""Holds (停催) and do-not-call entries placed and cleared by people, audit-logged."""

from __future__ import annotations

from datetime import datetime

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.enums import HoldReason
from store.models import Case, DoNotCall, Hold
from store.said import N_, SaidError


class HoldError(SaidError):
    """A hold or do-not-call change that cannot be made; the message says why."""


def clear_hold(session: Session, hold_id: int, actor: str, note: str, now: datetime) -> Hold:
    """A supervisor lifts a hold; the note saying why is required and kept."""
    hold = session.get(Hold, hold_id)
    if hold is None:
        raise HoldError(N_("停催 %(hold)s 不存在"), hold=hold_id)
    if hold.cleared_at is not None:
        raise HoldError(N_("停催 %(hold)s 已由 %(who)s 解除"), hold=hold_id, who=hold.cleared_by)
    if not note.strip():
        raise HoldError(N_("说明：请写明为何可以恢复催收"))
    hold.cleared_by, hold.cleared_at, hold.clear_note = actor, now, note.strip()
    record_audit(
        session,
        actor,
        "hold.clear",
        object_type="case",
        object_id=str(hold.case_id),
        detail={"hold": hold.id, "reason": hold.reason.value, "note": note.strip()},
    )
    return hold


def place_hold(  # noqa: PLR0917 (a hold's fields)
    session: Session, account_no: str, reason: HoldReason, detail: str, actor: str, now: datetime
) -> Hold:
    case = session.scalar(select(Case).where(Case.account_no == account_no.strip()))
    if case is None:
        raise HoldError(N_("账号 %(account)r：没有该案件"), account=account_no)
    hold = Hold(
        case_id=case.id, reason=reason, detail=detail.strip(), placed_by=actor, placed_at=now
    )
    session.add(hold)
    session.flush()
    record_audit(
        session,
        actor,
        "hold.place",
        object_type="case",
        object_id=str(case.id),
        detail={"hold": hold.id, "reason": reason.value},
    )
    return hold


def add_do_not_call(
    session: Session, number: str, reason: str, actor: str, now: datetime
) -> DoNotCall:
    try:
        parsed = phonenumbers.parse(number.strip(), "CN")
    except phonenumbers.NumberParseException as exc:
        # the library's English reason is no use to the admin: the number is shown
        raise HoldError(N_("号码 %(number)r：不是电话号码"), number=number[:40]) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise HoldError(N_("号码 %(number)r：不是有效号码"), number=number)
    if not reason.strip():
        raise HoldError(N_("原因：请写明为何不得拨打此号码"))
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if session.scalar(select(DoNotCall.id).where(DoNotCall.e164 == e164)) is not None:
        raise HoldError(N_("此号码已在禁止拨打名单上"))
    row = DoNotCall(e164=e164, reason=reason.strip(), created_by=actor, created_at=now)
    session.add(row)
    session.flush()
    record_audit(session, actor, "dnc.add", object_type="number", object_id=str(row.id))
    return row
