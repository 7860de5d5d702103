"""``callwarden complaint open|list|show|grade|resolve|bundle``: the complaint register (投诉).

``open`` stops collection on the case (停催) until ``resolve``; ``bundle`` writes the evidence
ZIP for the bank and audit-logs it. A refused value exits 1 with the field named.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from compliance.complaints import (
    CHANNEL_LABELS,
    GRADE_LABELS,
    STATUS_LABELS,
    Channel,
    ComplaintStatus,
    Grade,
)
from console.app import App
from console.bounds import ROW_ID
from console.complaints import bundle_name, due_days, make_bundle
from console.errors import UsageError
from console.i18n import N_
from console.users import default_actor
from store.complaint_bundle import BundleError
from store.complaints import (
    LINK_KINDS,
    ComplaintError,
    NewComplaint,
    linked_ids,
    list_complaints,
    open_complaint,
    regrade,
    resolve_complaint,
)
from store.enums import Role
from store.models import Case, ClientBank, Complaint, Hold
from store.safe_text import neutralise
from store.types import utcnow

REJECTED = 1


@dataclass(frozen=True)
class _Operator:
    """The command line sees every complaint, as an admin does."""

    user_id: int = 0
    role: Role = Role.ADMIN


def _refused(message: str) -> int:
    print(f"callwarden: {neutralise(message)}", file=sys.stderr)
    return REJECTED


def _find_case(session: Session, account_no: str, bank: str | None) -> int:
    query = select(Case.id, ClientBank.code).join(ClientBank, ClientBank.id == Case.client_bank_id)
    query = query.where(Case.account_no == account_no.strip())
    if bank:
        query = query.where(ClientBank.code == bank.strip())
    found = session.execute(query).all()
    if not found:
        raise ComplaintError(N_("账号 %(account)r：没有该案件"), account=account_no)
    if len(found) > 1:
        banks = ", ".join(sorted(code for _, code in found))
        raise ComplaintError(
            N_("账号 %(account)r：多家委托方都有此账号（%(banks)s），请加 --bank"),
            account=account_no,
            banks=banks,
        )
    return int(found[0][0])


def _day(text: str | None, field: str, zone: ZoneInfo, end: bool) -> datetime | None:
    """A calendar day on the centre's clock: its first instant, or (``end``) the next day's."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise UsageError(f"{field}: not a date (YYYY-MM-DD): {text!r}") from exc
    return datetime.combine(day + timedelta(days=1) if end else day, time(), zone)


def cmd_complaint_open(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    zone = app.settings.policy.timezone
    now = utcnow()
    actor = args.actor or default_actor()
    try:
        with app.sessions.begin() as session:
            new = NewComplaint(
                case_id=_find_case(session, args.case, args.bank),
                channel=Channel(args.channel),
                alleged=args.alleged,
                handler=args.handled_by or actor,
                grade=Grade(args.grade) if args.grade else None,
                source_flag_id=args.flag,
                window_from=_day(args.from_day, "--from", ZoneInfo(zone), end=False),
                window_to=_day(args.to_day, "--to", ZoneInfo(zone), end=True),
            )
            complaint = open_complaint(session, new, actor, now, due_days(app), zone)
            ident, grade, due = complaint.id, complaint.grade, complaint.due_on
            links = {kind: len(linked_ids(session, ident, kind)) for kind in LINK_KINDS}
    except ComplaintError as exc:
        return _refused(str(exc))
    counts = ", ".join(f"{n} {kind}" for kind, n in links.items())
    print(
        f"complaint #{ident} opened: {GRADE_LABELS[grade]}, due {due}; "
        f"case on hold (停催) until resolved; linked {counts}",
        file=out,
    )
    return 0


def cmd_complaint_list(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    status = ComplaintStatus(args.status) if args.status else None
    with app.reads() as session:
        rows = list_complaints(session, _Operator(), status)
        for complaint, account in rows:
            print(
                f"#{complaint.id:<5} {neutralise(account):<20} {complaint.grade.value:<9} "
                f"{complaint.channel.value:<20} due {complaint.due_on} "
                f"{complaint.status.value:<8} {neutralise(complaint.handler)}",
                file=out,
            )
    if not rows:
        print("no complaints (暂无投诉)", file=out)
    return 0


def _describe(session: Session, complaint: Complaint) -> list[str]:
    case = session.get_one(Case, complaint.case_id)
    hold = session.get_one(Hold, complaint.hold_id)
    held = "cleared" if hold.cleared_at else "on hold (停催)"
    edited = complaint.grade != complaint.derived_grade
    derived = f" (by channel: {complaint.derived_grade.value})" if edited else ""
    lines = [
        f"complaint #{complaint.id} · case {neutralise(case.account_no)}",
        f"  status:   {STATUS_LABELS[complaint.status]}",
        f"  channel:  {CHANNEL_LABELS[complaint.channel]}",
        f"  grade:    {GRADE_LABELS[complaint.grade]}{derived}",
        f"  due:      {complaint.due_on}",
        f"  handler:  {neutralise(complaint.handler)} (opened by {neutralise(complaint.opened_by)} "
        f"at {complaint.opened_at:%Y-%m-%d %H:%M} UTC)",
        f"  alleged:  {neutralise(complaint.alleged)}",
        f"  hold:     #{hold.id} {held}",
        f"  bank told: {'yes' if complaint.bank_told else 'no'}",
    ]
    if complaint.status is ComplaintStatus.RESOLVED:
        lines.append(f"  resolution: {neutralise(complaint.resolution)} ({complaint.resolved_by})")
    for kind in LINK_KINDS:
        ids = linked_ids(session, complaint.id, kind)
        lines.append(f"  {kind}: {', '.join(map(str, ids)) or '-'}")
    return lines


def cmd_complaint_show(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    with app.reads() as session:
        complaint = session.get(Complaint, args.id)
        if complaint is None:
            return _refused(f"complaint {args.id}: no such complaint")
        print("\n".join(_describe(session, complaint)), file=out)
    return 0


def cmd_complaint_grade(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    zone = app.settings.policy.timezone
    try:
        with app.sessions.begin() as session:
            actor = args.actor or default_actor()
            done = regrade(session, args.id, Grade(args.grade), actor, due_days(app), zone)
            due = done.due_on
    except ComplaintError as exc:
        return _refused(str(exc))
    print(f"complaint #{args.id}: {GRADE_LABELS[Grade(args.grade)]}, due {due}", file=out)
    return 0


def cmd_complaint_resolve(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    actor = args.actor or default_actor()
    try:
        with app.sessions.begin() as session:
            resolve_complaint(session, args.id, args.resolution, args.bank_told, actor, utcnow())
    except ComplaintError as exc:
        return _refused(str(exc))
    told = "the bank was told" if args.bank_told else "the bank has not been told yet"
    print(f"complaint #{args.id} resolved; its hold is cleared; {told}", file=out)
    return 0


def cmd_complaint_bundle(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    target = Path(args.output or bundle_name(args.id))
    if target.exists():
        return _refused(f"{target}: already exists; choose another file with -o")
    actor = args.actor or default_actor()
    try:
        with app.sessions.begin() as session:
            made = make_bundle(app, session, args.id, target, actor, utcnow())
    except BundleError as exc:
        return _refused(str(exc))
    print(
        f"{neutralise(str(made.path))}: {made.files} file(s) and manifest.json, "
        f"{made.size} bytes, sha256 {made.sha256} (audit-logged)",
        file=out,
    )
    return 0


def add_complaint_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    complaint = sub.add_parser("complaint", help="the complaint register (投诉)")
    what = complaint.add_subparsers(dest="what", required=True, metavar="WHAT")
    opening = what.add_parser("open", help="register a complaint; the case goes on hold (停催)")
    opening.add_argument("case", help="the case's account number")
    opening.add_argument("--bank", help="the client bank's code, if several hold the account")
    opening.add_argument("--channel", required=True, choices=[c.value for c in Channel])
    opening.add_argument("--alleged", required=True, help="what the complainant alleges")
    opening.add_argument("--grade", choices=[g.value for g in Grade], help="default: by channel")
    opening.add_argument("--handler", dest="handled_by", help="who handles it (default: you)")
    opening.add_argument("--flag", type=ROW_ID, help="the complaint_tendency flag it comes from")
    opening.add_argument("--from", dest="from_day", help="link from this day (default: all)")
    opening.add_argument("--to", dest="to_day", help="link up to this day (default: all)")
    opening.add_argument("--actor", help="who is opening it, for the audit log")
    opening.set_defaults(handler=cmd_complaint_open)
    listing = what.add_parser("list", help="complaints, open ones due first")
    listing.add_argument("--status", choices=[s.value for s in ComplaintStatus])
    listing.set_defaults(handler=cmd_complaint_list)
    show = what.add_parser("show", help="one complaint and what it links")
    show.add_argument("id", type=ROW_ID)
    show.set_defaults(handler=cmd_complaint_show)
    grade = what.add_parser("grade", help="change a complaint's grade (its due day follows)")
    grade.add_argument("id", type=ROW_ID)
    grade.add_argument("grade", choices=[g.value for g in Grade])
    grade.add_argument("--actor", help="who is changing it, for the audit log")
    grade.set_defaults(handler=cmd_complaint_grade)
    resolve = what.add_parser("resolve", help="close a complaint and lift its hold")
    resolve.add_argument("id", type=ROW_ID)
    resolve.add_argument("--resolution", required=True, help="how it was resolved")
    resolve.add_argument("--bank-told", action="store_true", help="the bank was told the outcome")
    resolve.add_argument("--actor", help="who is resolving it, for the audit log")
    resolve.set_defaults(handler=cmd_complaint_resolve)
    bundle = what.add_parser("bundle", help="write the evidence ZIP for the bank (audit-logged)")
    bundle.add_argument("id", type=ROW_ID)
    bundle.add_argument("-o", "--output", help="the ZIP file (default complaint-N-evidence.zip)")
    bundle.add_argument("--actor", help="who is making it, for the audit log")
    bundle.set_defaults(handler=cmd_complaint_bundle)
