"""``callwarden audit verify [--expect-head ID:HASH]`` and ``callwarden audit head``: check the
audit log's hash chain, and print its head for a backup to keep (spec: docs/audit-chain.md).

``verify`` exits 0 when the chain holds, 1 (:data:`BROKEN`) at the first row edited, deleted
or moved, naming it and how; with ``--expect-head`` also when a head stored earlier is no
longer in the chain (a rewrite of the whole chain).
"""

from __future__ import annotations

import argparse
from typing import TextIO

from console.app import App
from console.errors import UsageError
from store.audit import chain_head, verify
from store.audit_chain import Head, HeadFormatError, parse_head

BROKEN = 1
"""``audit verify``'s exit status when the chain does not hold (for monitoring and backups)."""


def _head_argument(text: str | None) -> Head | None:
    if text is None:
        return None
    try:
        return parse_head(text)
    except HeadFormatError as exc:
        raise UsageError(f"--expect-head: {exc}") from exc


def cmd_audit_verify(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    expected = _head_argument(args.expect_head)
    verdict = verify(app.reads, expected)
    if verdict.broken is not None:
        print(f"审计链断裂 / audit chain broken: {verdict.broken}", file=out)
        print(
            f"此前 {verdict.rows} 行完好，止于 {verdict.head} / "
            f"{verdict.rows} row(s) intact before it, up to {verdict.head}",
            file=out,
        )
        return BROKEN
    print(
        f"审计链完整：{verdict.rows} 行，链头 {verdict.head} / "
        f"audit chain intact: {verdict.rows} row(s), head {verdict.head}",
        file=out,
    )
    if expected is not None:
        print(f"含先前保存的链头 {expected} / holds the head stored earlier", file=out)
    return 0


def cmd_audit_head(app: App, _args: argparse.Namespace, out: TextIO) -> int:
    """One line, ``ID:HASH``, as ``verify --expect-head`` takes it back."""
    app.require_schema()
    print(chain_head(app.reads), file=out)
    return 0


def add_audit_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = sub.add_parser("audit", help="the audit log's hash chain")
    audit_sub = audit.add_subparsers(dest="what", required=True, metavar="WHAT")
    check = audit_sub.add_parser(
        "verify", help="check the chain; name the first row edited, deleted or moved (exit 1)"
    )
    check.add_argument(
        "--expect-head",
        metavar="ID:HASH",
        help="a head stored earlier (audit head); catches a rewrite of the whole chain",
    )
    check.set_defaults(handler=cmd_audit_verify)
    head = audit_sub.add_parser("head", help="print the chain's head as ID:HASH, for backups")
    head.set_defaults(handler=cmd_audit_head)
