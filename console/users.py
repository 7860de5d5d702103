"""Console users: creating them and checking their passwords (argon2)."""

from __future__ import annotations

import getpass
import os
import re
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from console.errors import UserError
from console.i18n import LOCALES, N_
from dialer.spy import BadEndpoint, check_endpoint
from store.audit import record_audit
from store.enums import Role
from store.models import Agent, User

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,64}$")
MIN_PASSWORD = 8


def default_actor() -> str:
    """Who is at the keyboard, for the audit log."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = os.environ.get("USER", "unknown")
    return f"cli:{user}"


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    """A hash of nothing in particular, verified against when the user does not exist, so
    that a wrong user name takes as long as a wrong password and names cannot be probed by
    timing (made on first use: ~0.2 s that no CLI command should pay at import)."""
    return _HASHER.hash("callwarden-no-such-user")


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        password_matches(_dummy_hash(), password)
        return None
    return user if password_matches(user.password_hash, password) else None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(N_("密码：至少 %(least)s 个字符"), least=MIN_PASSWORD)
    if not password.strip():  # str.strip knows every space, the ideographic one too
        raise UserError(N_("密码：不能只有空格"))


def add_user(  # noqa: PLR0917 (the fields of a user)
    session: Session,
    username: str,
    role: Role,
    password: str,
    actor: str,
    agent_code: str | None = None,
) -> User:
    """Create a user (and link an agent's landline to an ``agent`` user); audit-logged."""
    if not _USERNAME.match(username):
        raise UserError(
            N_("用户名 %(name)r：须为 2–64 个字母、数字、“.”“_”或“-”"), name=username[:80]
        )
    _check_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError(N_("用户 %(name)r 已存在"), name=username)
    agent = None
    if agent_code is not None:
        if role is not Role.AGENT:
            raise UserError(N_("坐席座机只能关联到坐席用户；此用户不是坐席"))
        agent = session.scalar(select(Agent).where(Agent.code == agent_code))
        if agent is None:
            raise UserError(
                N_("没有坐席 %(code)r：请先用 `callwarden agent add` 添加"), code=agent_code
            )
        if agent.user_id is not None:
            raise UserError(N_("坐席 %(code)r 已关联到另一个用户"), code=agent_code)
    user = User(username=username, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    if agent is not None:
        agent.user_id = user.id
    record_audit(
        session,
        actor,
        "user.add",
        object_type="user",
        object_id=username,
        detail={"role": role.value, "agent": agent_code},
    )
    return user


def set_password(session: Session, user: User, password: str, actor: str) -> None:
    _check_password(password)
    user.password_hash = hash_password(password)
    record_audit(session, actor, "user.password", object_type="user", object_id=user.username)


def set_phone(session: Session, user: User, endpoint: str, actor: str) -> None:
    """Give a supervisor or admin their own SIP phone (listening in rings it); "" removes it.
    Audit-logged."""
    if endpoint:
        if user.role not in {Role.SUPERVISOR, Role.ADMIN}:
            raise UserError(N_("%(name)s 不是班组长或管理员：只有他们可以监听"), name=user.username)
        try:
            check_endpoint(endpoint)
        except BadEndpoint as exc:
            raise UserError(str(exc)) from exc
    user.sip_endpoint = endpoint or None
    record_audit(
        session,
        actor,
        "user.phone",
        object_type="user",
        object_id=user.username,
        detail={"endpoint": endpoint or None},
    )


def set_locale(session: Session, user: User, locale: str, actor: str) -> None:
    """Choose the console's language for ``user`` (``zh_CN`` or ``en``). Audit-logged."""
    if locale not in LOCALES:
        raise UserError(
            N_("语言须为 %(choices)s 之一，而不是 %(locale)r"), choices=LOCALES, locale=locale
        )
    user.locale = locale
    record_audit(
        session,
        actor,
        "user.locale",
        object_type="user",
        object_id=user.username,
        detail={"locale": locale},
    )
