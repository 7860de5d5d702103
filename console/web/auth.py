"""Logins, sessions, roles and CSRF for the web console.

A session is a random token in an HttpOnly, SameSite=Strict cookie; the database
keeps only its sha256 and the session's CSRF token. Every route names the roles
that may use it through a :class:`RoleGuard`, and the guard also checks the CSRF
token of every POST, so a route cannot forget either.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import HTTPException, Request
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from console.enum_names import named
from console.errors import Forbidden, NotLoggedIn
from console.i18n import _, pick_locale
from store.audit import record_audit
from store.enums import Role
from store.models import Agent, AuditLog, User, WebSession

SESSION_COOKIE = "cw_session"
LOGIN_CSRF_COOKIE = "cw_login_csrf"
LOCALE_COOKIE = "cw_locale"
"""The language of a browser nobody is logged in on (the login page's switch sets it)."""
THROTTLE_WINDOW = timedelta(minutes=15)
SLIDE_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """The user behind a request, as the routes need them."""

    user_id: int
    username: str
    role: Role
    csrf_token: str
    agent_id: int | None
    locale: str = "zh_CN"
    """The language the user chose (console.i18n.LOCALES)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, now: datetime, hours: float) -> str:
    """Start a session for ``user``; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    # Sessions nobody came back to are dropped here, so the table does not grow without end.
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            token_sha256=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(24),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=hours),
        )
    )
    return token


def close_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_sha256 == _digest(token)))


def resolve_session(session: Session, token: str, now: datetime) -> tuple[Principal, bool] | None:
    """The principal of a live session and whether its expiry is due to slide on; None if
    unknown, expired or disabled.

    Only reads, so a page never waits for a writer; :func:`slide_session` keeps the session
    alive separately (expired rows are dropped by the next login).
    """
    row = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_sha256 == _digest(token))
    ).first()
    if row is None:
        return None
    web, user = row
    if web.expires_at <= now or not user.active:
        return None
    agent_id = session.scalar(select(Agent.id).where(Agent.user_id == user.id))
    principal = Principal(
        user.id, user.username, user.role, web.csrf_token, agent_id, pick_locale(user.locale)
    )
    return principal, web.last_seen_at < now - SLIDE_EVERY


def slide_session(session: Session, token: str, now: datetime, hours: float) -> None:
    """Move a live session's expiry on, at most once every :data:`SLIDE_EVERY` (a write per
    page would make every page a writer)."""
    session.execute(
        update(WebSession)
        .where(
            WebSession.token_sha256 == _digest(token),
            WebSession.last_seen_at < now - SLIDE_EVERY,
            WebSession.expires_at > now,
        )
        .values(last_seen_at=now, expires_at=now + timedelta(hours=hours))
    )


def claim_password_check(session: Session, username: str, now: datetime, limit: int) -> bool:
    """Count one password check against ``username``'s limit, before it happens.

    A check not followed by a successful login counts as a failure, including one still
    running; so however many requests arrive at once, at most ``limit`` passwords are
    checked per window. Claims for one name are serialised: SQLite's write transaction
    holds the lock from its first statement, PostgreSQL takes a lock on the name.
    Returns False (and logs the refusal) when the limit is spent.
    """
    name = username[:64]
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"login:{name}".encode()).digest()[:8], signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def recent(action: str) -> int:
        found = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(
                AuditLog.action == action,
                AuditLog.object_id == name,
                AuditLog.at > now - THROTTLE_WINDOW,
            )
        )
        return found or 0

    if recent("login.check") - recent("login") >= limit:
        record_audit(session, name, "login.refused", object_type="user", object_id=name)
        return False
    record_audit(session, name, "login.check", object_type="user", object_id=name)
    return True


def request_locale(request: Request) -> str:
    """The language to answer in: the logged-in user's choice, else the browser's cookie,
    else Chinese."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is not None:
        return principal.locale
    return pick_locale(request.cookies.get(LOCALE_COOKIE))


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time; an empty or missing token never matches (not even another empty one)."""
    if not expected or not given:
        return False
    return secrets.compare_digest(expected.encode(), given.encode())


class RoleGuard:
    """A route dependency: the logged-in principal, if their role is one of ``roles``."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> Principal:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:
            raise NotLoggedIn
        if principal.role not in self.roles:
            raise Forbidden(_("%(role)s无权打开此页") % {"role": named(principal.role)})
        if request.method == "POST":
            given = request.headers.get("x-csrf-token")
            if given is None:
                form = await request.form()
                value = form.get("csrf")
                given = value if isinstance(value, str) else None
            if not csrf_matches(principal.csrf_token, given):
                raise Forbidden(_("表单的 CSRF 令牌缺失或错误：请刷新页面"))
        return principal


ANYONE = RoleGuard(Role.AGENT, Role.QA, Role.ADMIN, Role.SUPERVISOR)
QA = RoleGuard(Role.QA, Role.ADMIN)
ADMIN = RoleGuard(Role.ADMIN)
AGENT = RoleGuard(Role.AGENT)
LEADS = RoleGuard(Role.SUPERVISOR, Role.ADMIN)
"""The team pages: a supervisor sees their teams, an admin every team (store.scope)."""
CASE_READERS = RoleGuard(Role.QA, Role.ADMIN, Role.SUPERVISOR)
"""Who reads any case in their scope (an agent reads their own under /agent/cases)."""
PROGRESS = RoleGuard(Role.SUPERVISOR, Role.ADMIN, Role.AGENT)
"""Team progress: the leads' teams, every team for an admin, an agent's own row."""


def my_agent(session: Session, me: Principal) -> Agent:
    """The agent's landline behind an agent's user (409 for a user linked to none)."""
    agent = session.get(Agent, me.agent_id) if me.agent_id else None
    if agent is None:
        raise HTTPException(409, _("您的用户尚未关联坐席电话，请联系管理员"))
    return agent
