"""``callwarden demo``: the main job on the embedded default, as far as it exists.

Today: create/upgrade the SQLite database, import the shipped sample cases
(idempotent) and summarise what is stored. Later steps (schedule, dial,
record, transcribe, flag, serve) extend this command.
"""

from __future__ import annotations

import argparse
import time
from importlib import resources
from pathlib import Path
from typing import TextIO

from sqlalchemy import func, select

from console.app import App
from console.commands import default_actor
from store.case_import import import_cases
from store.migrate import upgrade
from store.models import Case, CaseContact, ClientBank, PhoneNumber


def sample_cases_path() -> Path:
    """The sample case file shipped as package data."""
    return Path(str(resources.files("config").joinpath("samples/cases.csv")))


def cmd_demo(app: App, args: argparse.Namespace, out: TextIO) -> int:
    started = time.monotonic()
    before, after = upgrade(app.engine)
    print(
        f"[1/2] database {app.settings.database_url()}: schema {before or '(empty)'} → {after}",
        file=out,
    )
    report = import_cases(sample_cases_path(), app.sessions, default_actor())
    c = report.counts
    print(
        f"[2/2] imported {report.rows} sample cases: {c.cases_created} new, "
        f"{c.cases_updated} updated in place",
        file=out,
    )
    _summary(app, out)
    print(f"done in {time.monotonic() - started:.1f} s", file=out)
    if not args.no_serve:
        print("(the web console arrives with a later release; nothing to serve yet)", file=out)
    return 0


def _summary(app: App, out: TextIO) -> None:
    with app.sessions() as session:
        by_bank = session.execute(
            select(ClientBank.code, func.count(Case.id), func.sum(Case.amount_overdue_cents))
            .join(Case, Case.client_bank_id == ClientBank.id)
            .group_by(ClientBank.code)
            .order_by(ClientBank.code)
        ).all()
        by_status = session.execute(
            select(Case.status, func.count()).group_by(Case.status).order_by(Case.status)
        ).all()
        contacts = session.scalar(select(func.count()).select_from(CaseContact)) or 0
        numbers = session.scalar(select(func.count()).select_from(PhoneNumber)) or 0
    print("summary:", file=out)
    for code, count, cents in by_bank:
        print(f"  {code:<10} {count:>5} case(s)  ¥{(cents or 0) / 100:>14,.2f} overdue", file=out)
    print("  status: " + ", ".join(f"{status} {count}" for status, count in by_status), file=out)
    print(f"  {contacts} contact(s), {numbers} phone number(s)", file=out)
