"""A debtor's consents on the case pages (issue 19): an agent requests one from their case
page; a supervisor (for the agents they lead, :mod:`store.scope`) or an admin approves it on
the consents page; anyone of them who sees the case may record that it was withdrawn. The
rules live in :mod:`store.consents`; every change is audit-logged there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from console.bounds import moment_in_range
from console.i18n import N_, _, say
from console.web.agent import is_mine, show_case
from console.web.auth import AGENT, LEADS, Principal, RoleGuard
from console.web.inputs import FIELD_ZH, MAX_ID, DbId
from console.web.pages import DB, ReadDB, cw, now, render
from store.consents import (
    NOT_FOUND as CONSENT_NOT_FOUND,
)
from store.consents import (
    ConsentError,
    ConsentRequest,
    approve_consent,
    case_consents,
    may_see_case,
    pending_for,
    request_consent,
    withdraw_consent,
)
from store.enums import ConsentScope, Role
from store.models import Case
from store.said import Said, SaidError

router = APIRouter()
CASE_WORKERS = RoleGuard(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
NOT_FOUND = N_("没有这个案件，或不在您的范围内")


def _instant(request: Request, field: str, text: str) -> datetime:
    """A local "YYYY-MM-DD HH:MM" (or a date: its midnight) on the centre's clock."""
    zone = ZoneInfo(cw(request).settings.policy.timezone)
    label = Said(FIELD_ZH[field])
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.strptime(text.strip(), pattern).replace(tzinfo=zone)
        except ValueError:
            continue
        # a consent's window is looked past by the policy: the calendar must go on after it
        return moment_in_range(moment, label)
    raise ConsentError(N_("%(field)s：时间格式应为 YYYY-MM-DD HH:MM"), field=label)


@router.post("/agent/cases/{case_id}/consents")
def request_on_case(  # noqa: PLR0917 (the request form)
    request: Request,
    case_id: DbId,
    me: Annotated[Principal, Depends(AGENT)],
    session: DB,
    scope: Annotated[ConsentScope, Form()],
    valid_from: Annotated[str, Form(max_length=20)],
    valid_until: Annotated[str, Form(max_length=20)],
    call_attempt_id: Annotated[str, Form(max_length=20)] = "",
    utterance_id: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not is_mine(request, session, me, case_id):
        raise HTTPException(404, _("您的案件中没有这个案件"))
    try:
        asked = ConsentRequest(
            case_id,
            scope,
            _instant(request, "valid_from", valid_from),
            _instant(request, "valid_until", valid_until),
            _optional_id("call_attempt_id", call_attempt_id),
            _optional_id("utterance_id", utterance_id),
            note,
        )
        with session.begin_nested():
            request_consent(session, asked, me.username, now(request))
    except SaidError as exc:  # a ConsentError, or a day past the calendar
        return show_case(request, me, session, case_id, True, say(exc), audit_in=session)
    return RedirectResponse(f"/agent/cases/{case_id}", status_code=303)


def _optional_id(field: str, text: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        raise ConsentError(N_("%(field)s：须为数字"), field=Said(FIELD_ZH[field]))
    digits = text.strip().lstrip("0") or "0"
    if len(digits) > len(str(MAX_ID)) or int(digits) > MAX_ID:
        # past the databases' integers: no row has it (and the query would overflow)
        raise ConsentError(N_("%(field)s：没有这个编号"), field=Said(FIELD_ZH[field]))
    return int(digits)


@router.get("/consents")
def pending(
    request: Request, me: Annotated[Principal, Depends(LEADS)], session: ReadDB, error: str = ""
) -> Response:
    return render(
        request, "consents.html", me, pending=pending_for(session, me), case=None, error=error
    )


@router.get("/consents/cases/{case_id}")
def on_case(
    request: Request,
    case_id: DbId,
    me: Annotated[Principal, Depends(LEADS)],
    session: ReadDB,
    error: str = "",
) -> Response:
    account = session.scalar(select(Case.account_no).where(Case.id == case_id))
    if account is None or not may_see_case(session, me, case_id):
        raise HTTPException(404, _(NOT_FOUND))
    return render(
        request,
        "consents.html",
        me,
        pending=[],
        case=(case_id, account, case_consents(session, case_id)),
        error=error,
    )


@router.post("/consents/{consent_id}/approve")
def approve(
    request: Request, consent_id: DbId, me: Annotated[Principal, Depends(LEADS)], session: DB
) -> Response:
    try:
        with session.begin_nested():
            row = approve_consent(session, consent_id, me, me.username, now(request))
    except ConsentError as exc:
        return pending(request, me, session, error=say(exc))
    return RedirectResponse(f"/consents/cases/{row.case_id}", status_code=303)


@router.post("/consents/{consent_id}/withdraw")
def withdraw(
    request: Request,
    consent_id: DbId,
    me: Annotated[Principal, Depends(CASE_WORKERS)],
    session: DB,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        with session.begin_nested():
            row = withdraw_consent(session, consent_id, me, me.username, note, now(request))
    except ConsentError as exc:
        missing = exc.said.msgid == CONSENT_NOT_FOUND
        raise HTTPException(404 if missing else 400, say(exc)) from exc
    if me.role is Role.AGENT:
        return RedirectResponse(f"/agent/cases/{row.case_id}", status_code=303)
    return RedirectResponse(f"/consents/cases/{row.case_id}", status_code=303)
