"""The admin's pages: policy, lexicon and phrases editing with versions, dialable preview,
holds, users."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from compliance.errors import ProfileError
from compliance.problems import Problem
from config.var_paths import AdminKind
from console import editable
from console.bounds import parse_at
from console.editable import FILE_KIND_ZH
from console.errors import EditRefused, UsageError, UserError
from console.i18n import _, say
from console.queue_labels import HOLD_ZH
from console.users import add_user, set_password
from console.web.auth import ADMIN, Principal
from console.web.inputs import MAX_ID, DbId
from console.web.pages import DB, ReadDB, cw, now, render
from console.web.preview import preview_lists
from store.audit import record_audit
from store.enums import HoldReason, Role
from store.holds import HoldError, add_do_not_call, clear_hold, place_hold
from store.models import (
    Agent,
    AuditLog,
    Case,
    ConfigVersion,
    DoNotCall,
    Hold,
    User,
    WebSession,
)

router = APIRouter(prefix="/admin")
Kind = AdminKind


@router.get("")
def dashboard(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: ReadDB,
) -> Response:
    app = cw(request)
    settings = app.settings
    return render(
        request,
        "admin_home.html",
        me,
        policies=editable.names("policy", app.paths),
        lexicons=editable.names("lexicon", app.paths),
        phrases=editable.names("phrases", app.paths),
        active_phrases=app.phrases_name(),
        active_policy=settings.policy.profile,
        active_lexicon=settings.detector.lexicon,
        open_holds=len(session.scalars(select(Hold.id).where(Hold.cleared_at.is_(None))).all()),
    )


def _edit_page(  # noqa: PLR0917 (what the editor shows)
    request: Request,
    me: Principal,
    session: Session,
    kind: str,
    name: str,
    content: str,
    problems: list[Problem] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_edit.html",
        me,
        status_code,
        kind=kind,
        kind_name=_(FILE_KIND_ZH[kind]),
        name=name,
        content=content,
        problems=problems or [],
        message=message,
        versions=editable.versions(session, kind, name),
    )


def _checked_name(kind: str, name: str, request: Request) -> None:
    if name not in editable.names(kind, cw(request).paths):
        named = {"name": name, "kind": _(FILE_KIND_ZH[kind])}
        raise HTTPException(404, _("没有名为 %(name)r 的%(kind)s") % named)


@router.get("/files/{kind}/{name}")
def edit_form(
    request: Request,
    kind: Kind,
    name: str,
    me: Annotated[Principal, Depends(ADMIN)],
    session: ReadDB,
) -> Response:
    _checked_name(kind, name, request)
    content = editable.in_force(kind, name, cw(request).paths)
    return _edit_page(request, me, session, kind, name, content)


@router.post("/files/{kind}/{name}")
def save_file(  # noqa: PLR0917 (the editor's form)
    request: Request,
    kind: Kind,
    name: str,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    content: Annotated[str, Form(max_length=1_000_000)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    _checked_name(kind, name, request)
    paths = cw(request).paths
    try:
        saved = editable.save(session, paths, kind, name, content, me.username, note, now(request))
    except EditRefused as exc:
        return _edit_page(
            request,
            me,
            session,
            kind,
            name,
            content,
            exc.problems,
            _("未保存：生效的版本没有改变。"),
            422,
        )
    message = (
        _("已保存为第 %(n)s 版，现已生效。") % {"n": saved.version} if saved else _("没有改动。")
    )
    return _edit_page(
        request, me, session, kind, name, content.replace("\r\n", "\n"), message=message
    )


def _version(session: Session, kind: str, name: str, number: int) -> ConfigVersion:
    row = session.scalar(
        select(ConfigVersion).where(
            ConfigVersion.kind == kind, ConfigVersion.name == name, ConfigVersion.version == number
        )
    )
    if row is None:
        message = _("%(kind)s %(name)r 没有第 %(n)s 版")
        raise HTTPException(
            404, message % {"kind": _(FILE_KIND_ZH[kind]), "name": name, "n": number}
        )
    return row


@router.get("/files/{kind}/{name}/versions/{number}")
def show_version(  # noqa: PLR0917 (the path's parts)
    request: Request,
    kind: Kind,
    name: str,
    number: DbId,
    me: Annotated[Principal, Depends(ADMIN)],
    session: ReadDB,
    against: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    new = _version(session, kind, name, number)
    base = against if against is not None else number - 1
    old = _version(session, kind, name, base) if base >= 1 else None
    return render(
        request, "admin_version.html", me, version=new, old=old, diff=editable.diff(old, new)
    )


@router.post("/files/{kind}/{name}/versions/{number}/restore")
def restore_version(  # noqa: PLR0917 (the path's parts)
    request: Request,
    kind: Kind,
    name: str,
    number: DbId,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
) -> Response:
    row = _version(session, kind, name, number)
    try:
        editable.save(
            session,
            cw(request).paths,
            kind,
            name,
            row.content,
            me.username,
            _("恢复为第 %(n)s 版") % {"n": number},
            now(request),
        )
    except EditRefused as exc:
        # An old version may no longer load (a parent it extends changed): say so, change nothing.
        return _edit_page(
            request,
            me,
            session,
            kind,
            name,
            row.content,
            exc.problems,
            _("第 %(n)s 版无法原样恢复。") % {"n": number},
            422,
        )
    return RedirectResponse(f"/admin/files/{kind}/{name}", status_code=303)


@router.get("/preview")
def dialable_preview(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    *,
    at: str | None = None,
    rule: Annotated[str | None, Query(max_length=80)] = None,
    dpage: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
    bpage: Annotated[int, Query(ge=1, le=MAX_ID)] = 1,
) -> Response:
    app = cw(request)
    try:
        profile = app.profile()
        moment = parse_at(at, profile.timezone, "at") if at else now(request)
    except (UsageError, ProfileError) as exc:
        return render(request, "admin_preview.html", me, 400, error=say(exc), at=at or "")
    schedule = app.schedule(profile, moment)
    at = at or moment.astimezone(moment.tzinfo).strftime("%Y-%m-%d %H:%M")
    return render(
        request,
        "admin_preview.html",
        me,
        at=at,
        moment=moment,
        profile=profile,
        lists=preview_lists(schedule, at, rule, dpage, bpage),
        totals=(len(schedule.dialable), len(schedule.blocked)),
        error="",
    )


@router.get("/holds")
def holds(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: ReadDB,
    error: str = "",
) -> Response:
    rows = session.execute(
        select(Hold, Case.account_no)
        .join(Case, Case.id == Hold.case_id)
        .order_by(Hold.cleared_at.is_not(None), Hold.placed_at.desc())
    ).all()
    dnc = session.scalars(select(DoNotCall).order_by(DoNotCall.created_at.desc())).all()
    return render(
        request,
        "admin_holds.html",
        me,
        holds=rows,
        dnc=dnc,
        reasons=list(HoldReason),
        hold_zh=HOLD_ZH,
        error=error,
    )


def _change(
    session: Session,
    refused: type[Exception],
    page: Callable[..., Response],
    done: str,
    change: Callable[[], object],
) -> Response:
    """Make a change all or nothing, then go to ``done``; a ``refused`` one writes nothing and
    shows ``page`` again with the reason."""
    try:
        with session.begin_nested():
            change()
    except refused as exc:
        return page(error=say(exc))
    return RedirectResponse(done, status_code=303)


@router.post("/holds/{hold_id}/clear")
def clear(
    request: Request,
    hold_id: DbId,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _change(
        session,
        HoldError,
        partial(holds, request, me, session),
        "/admin/holds",
        lambda: clear_hold(session, hold_id, me.username, note, now(request)),
    )


@router.post("/holds")
def new_hold(  # noqa: PLR0917 (the form)
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    account_no: Annotated[str, Form(max_length=64)],
    reason: Annotated[HoldReason, Form()],
    detail: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _change(
        session,
        HoldError,
        partial(holds, request, me, session),
        "/admin/holds",
        lambda: place_hold(session, account_no, reason, detail, me.username, now(request)),
    )


@router.post("/dnc")
def new_dnc(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    number: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _change(
        session,
        HoldError,
        partial(holds, request, me, session),
        "/admin/holds",
        lambda: add_do_not_call(session, number, reason, me.username, now(request)),
    )


@router.get("/users")
def users(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: ReadDB,
    error: str = "",
) -> Response:
    rows = session.execute(
        select(User, Agent.code).outerjoin(Agent, Agent.user_id == User.id).order_by(User.username)
    ).all()
    free_agents = session.scalars(
        select(Agent.code).where(Agent.user_id.is_(None)).order_by(Agent.code)
    ).all()
    return render(
        request,
        "admin_users.html",
        me,
        users=rows,
        roles=list(Role),
        free_agents=free_agents,
        error=error,
    )


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(404, _("没有这个用户"))
    return user


@router.post("/users")
def new_user(  # noqa: PLR0917 (the form)
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=200)],
    agent_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    return _change(
        session,
        UserError,
        partial(users, request, me, session),
        "/admin/users",
        lambda: add_user(session, username, role, password, me.username, agent_code or None),
    )


@router.post("/users/{user_id}/active")
def set_active(
    request: Request,
    user_id: DbId,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    active: Annotated[bool, Form()],
) -> Response:
    user = _user(session, user_id)
    if user.id == me.user_id and not active:
        return users(request, me, session, error=_("不能停用自己的账户"))
    user.active = active
    record_audit(
        session,
        me.username,
        "user.enable" if active else "user.disable",
        object_type="user",
        object_id=user.username,
    )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/password")
def reset_password(
    request: Request,
    user_id: DbId,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """Set a new password; the user's open sessions end, so the old one stops working at once."""
    user = _user(session, user_id)

    def change() -> None:
        set_password(session, user, password, me.username)
        if user.id != me.user_id:
            session.execute(delete(WebSession).where(WebSession.user_id == user.id))

    return _change(session, UserError, partial(users, request, me, session), "/admin/users", change)


@router.get("/audit")
def audit(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: ReadDB,
    action: str = "",
) -> Response:
    query = select(AuditLog).order_by(AuditLog.id.desc()).limit(300)
    if action:
        query = query.where(AuditLog.action == action)
    return render(request, "admin_audit.html", me, rows=session.scalars(query).all(), action=action)
