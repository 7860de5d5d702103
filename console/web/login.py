"""Logging in and out."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from console.i18n import LOCALES, _, current_locale, pick_locale, use_locale
from console.users import authenticate, set_locale
from console.web.auth import (
    ANYONE,
    LOCALE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Principal,
    claim_password_check,
    close_session,
    csrf_matches,
    open_session,
)
from console.web.pages import DB, cw, render
from store.audit import record_audit
from store.enums import Role
from store.models import User
from store.types import utcnow

router = APIRouter()
HOME = {Role.AGENT: "/agent", Role.QA: "/qa", Role.ADMIN: "/admin", Role.SUPERVISOR: "/team"}


def _safe_next(target: str | None) -> str | None:
    # Only paths on this site. Browsers read "//host", "/\\host" and "/<tab>/host" (they turn
    # backslashes into slashes and drop tabs and newlines) as another site.
    if not target or not target.startswith("/") or _NOT_A_LOCAL_PATH.search(target):
        return None
    return target


_NOT_A_LOCAL_PATH = re.compile(r"^/[/\\]|[\\\x00-\x20\x7f]")


@router.get("/login")
def login_form(request: Request, next: str | None = None, lang: str | None = None) -> Response:
    token = secrets.token_urlsafe(24)
    chosen = pick_locale(lang) if lang else None
    with use_locale(chosen or current_locale()):
        response = render(
            request, "login.html", None, next=_safe_next(next) or "", login_csrf=token
        )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    if chosen:  # the switch on the login page: remembered by this browser until someone logs in
        response.set_cookie(LOCALE_COOKIE, chosen, httponly=True, samesite="strict", path="/")
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    app = cw(request)
    settings = app.settings.console
    at = utcnow()  # logins run on the real clock, whatever the console's simulated one says

    def refuse(message: str, status: int) -> Response:
        token = secrets.token_urlsafe(24)
        response = render(
            request, "login.html", None, status, error=message, next=next, login_csrf=token
        )
        response.set_cookie(
            LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login"
        )
        return response

    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf):
        return refuse(_("登录表单已过期，请重试。"), 403)
    # Three short transactions: the slow password hash runs holding no lock at all.
    with app.sessions.begin() as session:
        allowed = claim_password_check(session, username, at, settings.login_attempts)
    if not allowed:
        return refuse(_("该用户登录失败次数过多，请 15 分钟后再试。"), 429)
    with app.reads() as session:
        user = authenticate(session, username, password)
    with app.sessions.begin() as session:
        if user is None:
            record_audit(
                session, username[:64], "login.failed", object_type="user", object_id=username[:64]
            )
            token = None
        else:
            token = open_session(session, user, at, settings.session_hours)
            record_audit(
                session, user.username, "login", object_type="user", object_id=user.username
            )
    if user is None or token is None:
        return refuse(_("用户名或密码错误。"), 401)
    return _logged_in(request, token, next, user.role)


def _logged_in(request: Request, token: str, next: str, role: Role) -> Response:
    settings = cw(request).settings.console
    response = RedirectResponse(_safe_next(next) or HOME[role], status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        # Always Secure over HTTPS (a TLS proxy says so in the URL scheme uvicorn sees with
        # --proxy-headers); on plain loopback HTTP a Secure cookie would not come back.
        secure=settings.secure_cookies or request.url.scheme == "https",
        max_age=int(settings.session_hours * 3600),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request,
    me: Annotated[Principal, Depends(ANYONE)],
    session: DB,
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        close_session(session, token)
    record_audit(session, me.username, "logout", object_type="user", object_id=me.username)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/me/locale")
def choose_locale(
    me: Annotated[Principal, Depends(ANYONE)],
    session: DB,
    locale: Annotated[str, Form()],
    next: Annotated[str, Form()] = "",
) -> Response:
    """The header's language switch: the user's choice is kept with their account."""
    user = session.get(User, me.user_id)
    if user is None or locale not in LOCALES:
        raise HTTPException(400, _("没有这种语言"))
    set_locale(session, user, locale, me.username)
    return RedirectResponse(_safe_next(next) or HOME[me.role], status_code=303)


@router.get("/")
def home(me: Annotated[Principal, Depends(ANYONE)]) -> Response:
    return RedirectResponse(HOME[me.role], status_code=303)
