"""``callwarden retention run|hold|release|holds``: delete what has outlived its retention
period (保存期限), leaving tombstones, and keep a case's records under legal hold (保全).

``run --dry-run`` prints what a run would delete, line for line as the run prints it, and
writes nothing. ``--at`` may look back (a rerun of a day missed) or, dry, ahead (what a
period change would delete); a real run never looks ahead of the clock, which would delete
things younger than their period. Periods come from ``var/retention/retention.toml`` if an
admin wrote one, else the shipped ``config/retention/retention.toml``; a faulty file exits 3.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from compliance.errors import RetentionError
from console.app import App
from console.bounds import ROW_ID, parse_at
from console.errors import UsageError
from console.users import default_actor
from store.enums import LegalHoldReason
from store.errors import LegalHoldError
from store.legal_holds import place_legal_hold, release_legal_hold, standing_holds
from store.retention import Gone, RunReport
from store.safe_text import neutralise
from store.types import utcnow

REJECTED = 1
CONFIG = 3


def add_retention_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    retention = sub.add_parser("retention", help="retention periods and legal holds")
    what = retention.add_subparsers(dest="what", required=True, metavar="WHAT")
    run = what.add_parser("run", help="delete what has expired, leaving a tombstone for each")
    run.add_argument("--dry-run", action="store_true", help="print what would go; write nothing")
    run.add_argument("--at", help="as of this instant (default: now; ahead only with --dry-run)")
    run.add_argument("--actor", help="who runs it, for the tombstones and the audit log")
    run.set_defaults(handler=cmd_retention_run)
    hold = what.add_parser("hold", help="keep a case's records until the hold is released")
    hold.add_argument("account_no")
    hold.add_argument("--reason", required=True, choices=[r.value for r in LegalHoldReason])
    hold.add_argument("--detail", required=True, help="why the records must be kept")
    hold.add_argument("--bank", help="the client bank, when several hold the account number")
    hold.add_argument("--actor", help="who places it, for the audit log")
    hold.set_defaults(handler=cmd_retention_hold)
    release = what.add_parser("release", help="release a legal hold")
    release.add_argument("hold_id", type=ROW_ID)
    release.add_argument("--note", required=True, help="why the records may now go")
    release.add_argument("--actor", help="who releases it, for the audit log")
    release.set_defaults(handler=cmd_retention_release)
    holds = what.add_parser("holds", help="the legal holds standing")
    holds.set_defaults(handler=cmd_retention_holds)


def _line(gone: Gone) -> str:
    item, expiry = gone.item, gone.expiry
    return (
        f"{expiry.ref}  case={item.case_id or '-'}  bank={item.bank or '-'}  "
        f"since={item.since.isoformat()}  rule: {expiry.rule}"
    )


def _print(report: RunReport, out: TextIO) -> None:
    verb = "将删除 / would delete" if report.dry_run else "已删除 / deleted"
    for gone in report.gone:
        tail = f"  tombstone #{gone.tombstone_id}" if gone.tombstone_id is not None else ""
        print(f"{verb}  {_line(gone)}{tail}", file=out)
    for kept in report.kept:
        print(f"到期保留 / expired, kept  {kept.ref}  {neutralise(kept.why)}", file=out)
    counts = ", ".join(f"{kind} {n}" for kind, n in sorted(report.counts().items())) or "0"
    print(f"合计 / total: {counts}; 到期保留 / kept {len(report.kept)}", file=out)
    if not report.dry_run:
        print(
            f"文件 / files: removed {report.files_removed}, finished from an earlier run "
            f"{report.files_finished}, kept (shared by a recording kept) {report.files_shared}",
            file=out,
        )


def cmd_retention_run(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    now = utcnow()
    at = parse_at(args.at, app.settings.policy.timezone) if args.at else now
    if at > now and not args.dry_run:
        raise UsageError(
            "--at: a run may not look ahead of the clock (it would delete what is younger "
            "than its period); preview with --dry-run"
        )
    try:
        periods, report = app.run_retention(at, args.actor or default_actor(), args.dry_run)
    except RetentionError as exc:
        print(f"retention periods rejected:\n{exc}", file=sys.stderr)
        return CONFIG
    print(f"保存期限 / periods: {periods.source}; as of {at.isoformat()}", file=out)
    _print(report, out)
    return 0


def cmd_retention_hold(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    try:
        with app.sessions.begin() as session:
            hold = place_legal_hold(
                session,
                args.account_no,
                LegalHoldReason(args.reason),
                args.detail,
                args.actor or default_actor(),
                utcnow(),
                bank=args.bank,
            )
            hold_id, case_id = hold.id, hold.case_id
    except LegalHoldError as exc:
        print(f"callwarden: {neutralise(str(exc))}", file=sys.stderr)
        return REJECTED
    print(f"已保全 / legal hold #{hold_id} placed on case {case_id}", file=out)
    return 0


def cmd_retention_release(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    try:
        with app.sessions.begin() as session:
            release_legal_hold(
                session, args.hold_id, args.actor or default_actor(), args.note, utcnow()
            )
    except LegalHoldError as exc:
        print(f"callwarden: {neutralise(str(exc))}", file=sys.stderr)
        return REJECTED
    print(f"已解除 / legal hold #{args.hold_id} released", file=out)
    return 0


def cmd_retention_holds(app: App, _args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    with app.reads() as session:
        rows = standing_holds(session)
    for hold, account_no in rows:
        print(
            f"#{hold.id}  {account_no}  {hold.reason.value}  {hold.placed_by}  "
            f"{hold.placed_at.isoformat()}  {neutralise(hold.detail)}",
            file=out,
        )
    print(f"合计 / total: {len(rows)}", file=out)
    return 0
