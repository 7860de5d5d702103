"""The complaint register's pages (投诉): the list with the callee complaints nobody has
registered yet, the form (prefilled from a flagged call), a complaint with what it links, and
its evidence bundle for the bank.

QA inspectors and admins see every complaint; a supervisor (班组长) sees those on their teams'
cases (:func:`store.complaints.visible_cases`, from :mod:`store.scope`), and any other id is
"not found". Agents have no complaint pages: complaints are about their calls.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from compliance.complaints import (
    Channel,
    Grade,
    is_overdue,
)
from console.complaints import bundle_name, due_days, make_bundle
from console.enum_names import named
from console.i18n import N_, _, say
from console.web.auth import Principal, RoleGuard
from console.web.inputs import MAX_ID, DbId
from console.web.labels import complaint_labels
from console.web.pages import DB, ReadDB, cw, now, render
from store.complaint_bundle import BundleError
from store.complaints import (
    ComplaintError,
    NewComplaint,
    complaint_offers,
    linked_ids,
    list_complaints,
    open_complaint,
    regrade,
    resolve_complaint,
    set_bank_told,
    visible_cases,
    visible_complaint,
)
from store.enums import Role
from store.models import CallAttempt, Case, CollectionNote, Complaint, Flag, Hold, Recording
from store.models.base import Base
from store.said import LIST_JOIN

router = APIRouter(prefix="/complaints")
HANDLERS = RoleGuard(Role.QA, Role.ADMIN, Role.SUPERVISOR)
"""Who registers and handles complaints."""
_NOT_YOURS = N_("没有这条投诉，或不在您的班组")


def _labels() -> dict[str, Any]:
    """The register's names for channels, grades and states, in the reader's language."""
    channels, grades, statuses = complaint_labels()
    return {"channels": channels, "grades": grades, "statuses": statuses}


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(cw(request).settings.policy.timezone)


def _today(request: Request) -> date:
    return now(request).astimezone(_zone(request)).date()


@router.get("")
def register(
    request: Request, me: Annotated[Principal, Depends(HANDLERS)], session: ReadDB
) -> Response:
    rows = [
        (c, account, is_overdue(c.due_on, _today(request), c.status))
        for c, account in list_complaints(session, me)
    ]
    offers = complaint_offers(session, me)
    return render(request, "complaints.html", me, rows=rows, offers=offers, **_labels())


def _visible_case(session: Session, me: Principal, case_id: int) -> Case:
    case = session.scalar(select(Case).where(Case.id == case_id, visible_cases(me)))
    if case is None:
        raise HTTPException(404, _("没有这个案件，或不在您的班组"))
    return case


def _flag_case(session: Session, flag_id: int) -> tuple[Flag, int]:
    found = session.execute(
        select(Flag, CallAttempt.case_id)
        .join(Recording, Recording.id == Flag.recording_id)
        .join(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
        .where(Flag.id == flag_id)
    ).first()
    if found is None:
        raise HTTPException(404, _("没有这个质检标记"))
    return found[0], found[1]


def _form_page(  # noqa: PLR0917 (what the form shows)
    request: Request,
    me: Principal,
    session: Session,
    case_id: int | None,
    flag_id: int | None,
    error: str = "",
    status: int = 200,
) -> Response:
    flag = None
    if flag_id is not None:
        flag, case_id = _flag_case(session, flag_id)
    if case_id is None:
        raise HTTPException(400, _("请从案件页或质检标记打开投诉登记：投诉要针对一个案件"))
    case = _visible_case(session, me, case_id)
    alleged = ""
    if flag:
        said = {"at": f"{flag.start_s:.1f}", "who": named(flag.speaker), "what": flag.evidence}
        alleged = _("%(at)ss %(who)s：%(what)s") % said
    return render(
        request,
        "complaint_new.html",
        me,
        status,
        case=case,
        flag=flag,
        alleged=alleged,
        error=error,
        **_labels(),
    )


@router.get("/new")
def new_form(
    request: Request,
    me: Annotated[Principal, Depends(HANDLERS)],
    session: ReadDB,
    case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    flag_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    return _form_page(request, me, session, case_id, flag_id)


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)
"""The days a complaint's window may name."""


def _day(text: str, field: str, zone: ZoneInfo, end: bool) -> datetime | None:
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        message = _("%(field)s：日期格式应为 YYYY-MM-DD：%(text)r")
        raise HTTPException(400, message % {"field": field, "text": text[:40]}) from exc
    if not FIRST_DAY <= day <= LAST_DAY:  # past them an instant has no room for a time zone
        message = _("%(field)s：日期超出范围（%(first)s 至 %(last)s）：%(text)r")
        said = {"field": field, "first": FIRST_DAY, "last": LAST_DAY, "text": text[:40]}
        raise HTTPException(400, message % said)
    return datetime.combine(day + timedelta(days=1) if end else day, time(), zone)


@router.post("")
def create(  # noqa: PLR0917 (the form's fields)
    request: Request,
    me: Annotated[Principal, Depends(HANDLERS)],
    session: DB,
    case_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    channel: Annotated[Channel, Form()],
    alleged: Annotated[str, Form(max_length=4000)],
    grade: Annotated[str, Form()] = "",
    handler: Annotated[str, Form(max_length=64)] = "",
    flag_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    window_from: Annotated[str, Form(alias="from", max_length=20)] = "",
    window_to: Annotated[str, Form(alias="to", max_length=20)] = "",
) -> Response:
    _visible_case(session, me, case_id)
    if grade and grade not in set(Grade):
        message = _("等级须为以下之一：%(names)s，而不是 %(text)r")
        names = _(LIST_JOIN).join(named(g) for g in Grade)
        raise HTTPException(400, message % {"names": names, "text": grade[:20]})
    zone = _zone(request)
    new = NewComplaint(
        case_id=case_id,
        channel=channel,
        alleged=alleged,
        handler=handler.strip() or me.username,
        grade=Grade(grade) if grade else None,
        source_flag_id=flag_id,
        window_from=_day(window_from, _("关联期间自"), zone, end=False),
        window_to=_day(window_to, _("至"), zone, end=True),
    )
    try:
        with session.begin_nested():
            complaint = open_complaint(
                session, new, me.username, now(request), due_days(cw(request)), zone.key
            )
    except ComplaintError as exc:
        return _form_page(request, me, session, case_id, flag_id, say(exc), 400)
    return RedirectResponse(f"/complaints/{complaint.id}", status_code=303)


def _mine(session: Session, me: Principal, complaint_id: int) -> Complaint:
    complaint = visible_complaint(session, me, complaint_id)
    if complaint is None:
        raise HTTPException(404, _(_NOT_YOURS))
    return complaint


Row = TypeVar("Row", bound=Base)


def _rows(session: Session, model: type[Row], ids: list[int]) -> list[Row]:
    key = model.__table__.c.id
    return list(session.scalars(select(model).where(key.in_(ids)).order_by(key)))


@router.get("/{complaint_id}")
def show(
    request: Request,
    complaint_id: DbId,
    me: Annotated[Principal, Depends(HANDLERS)],
    session: ReadDB,
    error: str = "",
) -> Response:
    complaint = _mine(session, me, complaint_id)
    recordings = {
        r.call_attempt_id: r.id
        for r in session.scalars(
            select(Recording).where(
                Recording.id.in_(linked_ids(session, complaint.id, "recording"))
            )
        )
    }
    return render(
        request,
        "complaint.html",
        me,
        complaint=complaint,
        case=session.get_one(Case, complaint.case_id),
        hold=session.get_one(Hold, complaint.hold_id),
        overdue=is_overdue(complaint.due_on, _today(request), complaint.status),
        attempts=_rows(session, CallAttempt, linked_ids(session, complaint.id, "call_attempt")),
        recordings=recordings,
        flags=_rows(session, Flag, linked_ids(session, complaint.id, "flag")),
        notes=_rows(session, CollectionNote, linked_ids(session, complaint.id, "note")),
        error=error,
        **_labels(),
    )


def _change(
    request: Request,
    me: Principal,
    session: Session,
    complaint_id: int,
    change: Callable[[], object],
) -> Response:
    """Make a change all or nothing; a refused one shows the complaint again with the reason."""
    try:
        with session.begin_nested():
            change()
    except ComplaintError as exc:
        return show(request, complaint_id, me, session, say(exc))
    return RedirectResponse(f"/complaints/{complaint_id}", status_code=303)


@router.post("/{complaint_id}/grade")
def change_grade(
    request: Request,
    complaint_id: DbId,
    me: Annotated[Principal, Depends(HANDLERS)],
    session: DB,
    grade: Annotated[Grade, Form()],
) -> Response:
    _mine(session, me, complaint_id)
    zone = cw(request).settings.policy.timezone
    due = due_days(cw(request))
    return _change(
        request, me, session, complaint_id,
        lambda: regrade(session, complaint_id, grade, me.username, due, zone),
    )  # fmt: skip


@router.post("/{complaint_id}/resolve")
def resolve(  # noqa: PLR0917 (the form)
    request: Request,
    complaint_id: DbId,
    me: Annotated[Principal, Depends(HANDLERS)],
    session: DB,
    resolution: Annotated[str, Form(max_length=4000)] = "",
    bank_told: Annotated[bool, Form()] = False,
) -> Response:
    _mine(session, me, complaint_id)
    at = now(request)
    return _change(
        request, me, session, complaint_id,
        lambda: resolve_complaint(session, complaint_id, resolution, bank_told, me.username, at),
    )  # fmt: skip


@router.post("/{complaint_id}/bank-told")
def bank_told(
    request: Request,
    complaint_id: DbId,
    me: Annotated[Principal, Depends(HANDLERS)],
    session: DB,
) -> Response:
    _mine(session, me, complaint_id)
    return _change(
        request, me, session, complaint_id,
        lambda: set_bank_told(session, complaint_id, me.username),
    )  # fmt: skip


@router.post("/{complaint_id}/bundle")
def bundle(
    request: Request,
    complaint_id: DbId,
    me: Annotated[Principal, Depends(HANDLERS)],
    session: DB,
) -> Response:
    """The evidence ZIP, made now and audit-logged; it is deleted once sent."""
    _mine(session, me, complaint_id)
    folder = cw(request).paths.bundles
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}.zip"
    try:
        make_bundle(cw(request), session, complaint_id, target, me.username, now(request))
    except BundleError as exc:
        raise HTTPException(409, _("证据包未生成：%(why)s") % {"why": say(exc)}) from exc
    return FileResponse(
        target,
        media_type="application/zip",
        filename=bundle_name(complaint_id),
        background=BackgroundTask(target.unlink, missing_ok=True),
    )
