"""``callwarden serve`` and ``callwarden user add|passwd|phone|locale|list``."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.app import App
from console.bounds import PORT
from console.errors import UsageError, UserError
from console.i18n import LOCALES
from console.users import add_user, default_actor, set_locale, set_password, set_phone
from store.enums import Role
from store.models import Agent, User

PASSWORD_ENV = "CALLWARDEN_PASSWORD"


def cmd_serve(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    settings = app.settings.console
    host, port = args.host or settings.host, args.port or settings.port
    print(f"callwarden console on http://{host}:{port}/ (Ctrl-C stops it)", file=out, flush=True)
    # fastapi, jinja2 and uvicorn load here, not for every command
    from console.web.server import serve  # noqa: PLC0415

    serve(app, host, port)
    return 0


def _password(args: argparse.Namespace) -> str:
    """From $CALLWARDEN_PASSWORD (scripts) or asked twice at the terminal; never an argument."""
    given = os.environ.get(PASSWORD_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        raise UsageError(f"no terminal to ask for the password: set ${PASSWORD_ENV}")
    first = getpass.getpass(f"password for {args.name}: ")
    if first != getpass.getpass("again: "):
        raise UsageError("the two passwords differ")
    return first


def cmd_user_add(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    password = _password(args)
    try:
        with app.sessions.begin() as session:
            add_user(session, args.name, Role(args.role), password, default_actor(), args.agent)
    except UserError as exc:
        raise UsageError(str(exc)) from exc
    print(f"user {args.name} added ({args.role})", file=out)
    return 0


def cmd_user_passwd(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    password = _password(args)
    with app.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == args.name))
        if user is None:
            raise UsageError(f"no user called {args.name!r}")
        try:
            set_password(session, user, password, default_actor())
        except UserError as exc:
            raise UsageError(str(exc)) from exc
    print(f"password of {args.name} changed", file=out)
    return 0


def _change_user(app: App, name: str, change: Callable[[Session, User], object]) -> None:
    """Apply ``change`` to the user called ``name``, in one transaction; a refusal is a
    usage error naming why."""
    app.require_schema()
    with app.sessions.begin() as session:
        user = session.scalar(select(User).where(User.username == name))
        if user is None:
            raise UsageError(f"no user called {name!r}")
        try:
            change(session, user)
        except UserError as exc:
            raise UsageError(str(exc)) from exc


def cmd_user_phone(app: App, args: argparse.Namespace, out: TextIO) -> int:
    _change_user(
        app,
        args.name,
        lambda session, user: set_phone(session, user, args.endpoint, default_actor()),
    )
    said = f"is {args.endpoint}" if args.endpoint else "removed"
    print(f"phone of {args.name} {said}", file=out)
    return 0


def cmd_user_locale(app: App, args: argparse.Namespace, out: TextIO) -> int:
    _change_user(
        app,
        args.name,
        lambda session, user: set_locale(session, user, args.locale, default_actor()),
    )
    print(f"console language of {args.name} is {args.locale}", file=out)
    return 0


def cmd_user_list(app: App, _args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    with app.sessions() as session:
        rows = session.execute(
            select(User, Agent.code)
            .outerjoin(Agent, Agent.user_id == User.id)
            .order_by(User.username)
        )
        for user, code in rows:
            state = "active" if user.active else "disabled"
            line = f"{user.username:<20} {user.role.value:<6} {state:<8} {code or ''}"
            line += f" {user.sip_endpoint}" if user.sip_endpoint else ""
            print(line.rstrip(), file=out)
    return 0


def add_web_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve_cmd = sub.add_parser("serve", help="run the web console (QA, admins, agents)")
    serve_cmd.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve_cmd.add_argument("--port", type=PORT, help="port (default 8470)")
    serve_cmd.set_defaults(handler=cmd_serve)

    user = sub.add_parser("user", help="console users")
    user_sub = user.add_subparsers(dest="what", required=True, metavar="WHAT")
    add = user_sub.add_parser("add", help=f"add a user (password from ${PASSWORD_ENV} or asked)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--agent", help="link an agent's landline (agent code) to this user")
    add.set_defaults(handler=cmd_user_add)
    passwd = user_sub.add_parser("passwd", help="set a user's password")
    passwd.add_argument("name")
    passwd.set_defaults(handler=cmd_user_passwd)
    phone = user_sub.add_parser("phone", help="a lead's own SIP phone, which listening in rings")
    phone.add_argument("name")
    phone.add_argument("endpoint", help='e.g. PJSIP/1001 ("" removes it)')
    phone.set_defaults(handler=cmd_user_phone)
    language = user_sub.add_parser("locale", help="a user's console language (default zh_CN)")
    language.add_argument("name")
    language.add_argument("locale", choices=LOCALES)
    language.set_defaults(handler=cmd_user_locale)
    listing = user_sub.add_parser("list", help="list users")
    listing.set_defaults(handler=cmd_user_list)
