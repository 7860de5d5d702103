"""The CLI subcommands that exist so far; each takes the built :class:`App`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from console.app import App, provisioned_notice
from console.users import default_actor
from store.case_import import import_cases
from store.errors import ImportRejected
from store.migrate import upgrade
from store.models import Case, CaseContact, Person, PhoneNumber
from store.payments import import_payments
from store.pii import mask_phone, mask_resident_id, mask_text
from store.safe_text import neutralise
from store.types import utcnow


def cmd_init(app: App, _args: argparse.Namespace, out: TextIO) -> int:
    before, after = upgrade(app.engine)
    if before == after:
        print(f"database already at schema {after}: nothing to do", file=out)
    else:
        print(f"database schema {before or '(empty)'} → {after}", file=out)
    key = app.ensure_master_key()
    if key is not None:
        print(provisioned_notice(key, app.paths.master_key), file=out)
    return 0


def cmd_import_cases(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    path = Path(args.file)

    # A file's name and header are the sender's text: print them inert. A problem may quote a
    # cell (a header row left off, columns swapped): resident IDs and numbers are masked.
    def report(line: str) -> None:
        print(neutralise(mask_text(line)), file=sys.stderr)

    try:
        result = import_cases(path, app.sessions, args.actor or default_actor(), report)
    except ImportRejected as exc:
        report(f"{path}: rejected, {exc.total} problem(s); nothing was imported")
        return 1
    c = result.counts
    print(
        f"{neutralise(str(path))}: imported {result.rows} case row(s) ({result.encoding}): "
        f"{c.cases_created} case(s) created, {c.cases_updated} updated, "
        f"{c.people_created} people and {c.numbers_created} number(s) added",
        file=out,
    )
    return 0


def cmd_import_payments(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """``import payments FILE``: the bank's payments, all or nothing; paid cases close."""
    app.require_schema()
    path = Path(args.file)

    def report(line: str) -> None:
        print(neutralise(mask_text(line)), file=sys.stderr)

    try:
        result = import_payments(
            path,
            app.sessions,
            args.actor or default_actor(),
            now=utcnow(),
            zone=ZoneInfo(app.settings.policy.timezone),
            bank=args.bank,
            report=report,
        )
    except ImportRejected as exc:
        report(f"{path}: rejected, {exc.total} problem(s); nothing was imported")
        return 1
    c = result.counts
    print(
        f"{neutralise(str(path))}: {result.rows} payment row(s) ({result.encoding}): "
        f"{c.added} added, {c.already_imported} already imported; "
        f"{len(c.cases_paid)} case(s) paid in full and closed (已还款)",
        file=out,
    )
    return 0


def cmd_cases_list(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Cases with the debtor and numbers masked (PII is never shown in full here).

    Names and account numbers are printed through :func:`neutralise`: rows stored before
    the importer refused control characters must not drive the terminal.
    """
    app.require_schema()
    with app.reads() as session:
        total = session.scalar(select(func.count()).select_from(Case)) or 0
        cases = session.scalars(select(Case).order_by(Case.id).limit(args.limit)).all()
        for case in cases:
            debtor = session.get(Person, case.debtor_id)
            assert debtor is not None
            numbers = session.scalars(
                select(PhoneNumber.e164).where(PhoneNumber.person_id == debtor.id)
            ).all()
            contacts = session.scalar(select(func.count()).where(CaseContact.case_id == case.id))
            print(
                f"{neutralise(case.account_no):<20} {neutralise(debtor.name):<6} "
                f"{mask_resident_id(debtor.resident_id or '')} "
                f"{case.amount_overdue_cents / 100:>12,.2f} {case.days_past_due:>4}d "
                f"{case.account_class or '-'} {case.status:<8} "
                f"{','.join(mask_phone(n) for n in numbers)} "
                f"+{contacts} contact(s)",
                file=out,
            )
        print(f"{len(cases)} of {total} case(s)", file=out)
    return 0
