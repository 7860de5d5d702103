"""``callwarden plan``: the contact plan (联系计划) for every case, or as one team lead sees it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.app import App
from console.bounds import parse_at
from console.contact_plan import Heading, plan_csv, reasons_text, terms_of
from console.errors import UsageError
from store.contact_plan import contact_plan
from store.enums import Role
from store.models import User
from store.safe_text import neutralise
from store.types import utcnow


@dataclass(frozen=True)
class _Viewer:
    user_id: int
    role: Role


EVERY_CASE = _Viewer(0, Role.ADMIN)


def cmd_plan(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    profile = app.profile()
    zone = app.settings.policy.timezone
    now = parse_at(args.at, zone) if args.at else utcnow()
    terms = terms_of(profile)
    with app.reads() as session:
        viewer = EVERY_CASE if args.lead is None else _lead(session, args.lead)
        rows = contact_plan(session, viewer, now, zone, terms)
    if args.csv is not None:
        text = plan_csv(rows, terms)
        if args.csv == "-":
            out.write(text)
        else:
            Path(args.csv).write_text(text, encoding="utf-8", newline="")
            print(f"{len(rows)} case(s) written to {neutralise(args.csv)}", file=out)
        return 0
    heading = Heading.of(now, zone, terms)
    print(f"{heading.zh}\n{heading.en}", file=out)
    for row in rows:
        print(
            f"{row.case_id:>8} {neutralise(row.account_no):<20} {neutralise(row.agent or '-'):<8}"
            f" {row.contacts:>3} contacts  {row.failed_in_a_row:>3} failed in a row"
            f"  {neutralise(reasons_text(row, terms))}",
            file=out,
        )
    due = sum(row.strategy_change for row in rows)
    print(f"{len(rows)} case(s); {due} due a strategy change 需调整策略", file=out)
    return 0


def _lead(session: Session, username: str) -> _Viewer:
    user = session.scalar(select(User).where(User.username == username, User.active))
    if user is None or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise UsageError(f"--lead: no active supervisor or admin named {username!r}")
    return _Viewer(user.id, user.role)


def add_plan_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = sub.add_parser(
        "plan",
        help="the contact plan (联系计划): debtors contacted too few times this month, "
        "and cases due a strategy change",
    )
    plan.add_argument("--at", help="'YYYY-MM-DD HH:MM' on the centre's clock (default: now)")
    plan.add_argument("--lead", metavar="USER", help="only the cases this team lead sees")
    plan.add_argument("--csv", metavar="FILE", help="write CSV to FILE ('-': standard output)")
    plan.set_defaults(handler=cmd_plan)
