"""Importing the client banks' payment files (.csv, .xlsx): all or nothing, like cases.

Pass 1 reads the file through the case import's readers and cell checks
(:mod:`store.case_import.records`) and reports every problem as ``FILE:ROW:COLUMN:
message``, a payment given twice in the file included. Pass 2, in one transaction under
the import lock, finds each payment's case by (client bank, account number), reports the
accounts no case has, and only for a file without a single problem writes the payments
not stored yet, closes the cases they pay in full and writes an audit row.

Idempotency: a payment's natural key is (case, day, amount, channel, reference); a
payment already stored under its key is skipped, so importing a file again, or a later
file that repeats some of its payments, counts nothing twice. A file hash would not do:
a bank's monthly statement repeats the payments of its daily files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import partial
from pathlib import Path

from store.audit import record_audit
from store.case_import import KEPT_PROBLEMS, file_sha256
from store.case_import.lock import import_transaction
from store.case_import.records import FileKind, file_records
from store.case_import.staging import Staging
from store.db import SessionFactory
from store.errors import ImportRejected
from store.payments.load import CaseMatcher, PaymentCounts, PaymentLoader, close_paid_cases, day_in
from store.payments.validate import COLUMNS, PaymentRecord, validate_payment

BATCH_SIZE = 2000
AUDITED_CASES = 100
"""Closed cases named in the audit row; the row gives the count of all of them."""
Reporter = Callable[[str], None]


@dataclass(frozen=True)
class PaymentReport:
    """What an accepted import did."""

    file: str
    sha256: str
    encoding: str
    rows: int
    counts: PaymentCounts


class _Problems:
    """Every problem to ``report``; the first :data:`KEPT_PROBLEMS` kept for the exception."""

    def __init__(self, report: Reporter) -> None:
        self.report, self.kept, self.total = report, list[str](), 0

    def __call__(self, line: str) -> None:
        self.total += 1
        self.report(line)
        if len(self.kept) < KEPT_PROBLEMS:
            self.kept.append(line)

    def reject_if_any(self) -> None:
        if self.total:
            raise ImportRejected(self.kept, self.total)


def _encode(r: PaymentRecord) -> list[object]:
    day = r.paid_on.isoformat()
    return [r.row, r.client_bank, r.account_no, r.amount_cents, day, r.channel, r.reference]


def _decode(v: list[object]) -> PaymentRecord:
    row, bank, account, cents, day, channel, reference = v
    return PaymentRecord(
        int(str(row)),
        str(bank) if bank else None,
        str(account),
        int(str(cents)),
        datetime.fromisoformat(str(day)).date(),
        str(channel),
        str(reference),
    )


def _check_file(
    path: Path,
    label: str,
    kind: FileKind[PaymentRecord],
    *,
    bank: str | None,
    problem: _Problems,
    staging: Staging,
) -> tuple[int, str]:
    """Pass 1: validate and stage every row; returns (rows, encoding)."""
    encoding: list[str] = []
    rows = 0
    for item in file_records(path, label, kind, encoding):
        if isinstance(item, str):
            problem(item)
            continue
        rows += 1
        staging.put(item.row, _encode(item))
        if bank and item.client_bank and item.client_bank != bank:
            problem(f"{label}:{item.row}:client_bank: {item.client_bank!r}, but --bank is {bank!r}")
        dup = staging.first(item.key(bank), item.row)
        if dup:
            problem(
                f"{label}:{item.row}:reference: the same payment as row {dup[0]} (account, "
                "day, amount, channel and reference alike): two payments need two references"
            )
    return rows, encoding[0] if encoding else ""


def import_payments(
    path: Path,
    sessions: SessionFactory,
    actor: str,
    *,
    now: datetime,
    zone: tzinfo,
    bank: str | None = None,
    report: Reporter = lambda _line: None,
    label: str | None = None,
) -> PaymentReport:
    """Validate then import a payment file; on any problem raise :class:`ImportRejected`
    having written nothing. ``now`` (aware) and ``zone``: the centre's day, which no
    payment may be dated after and which tells a case's import day."""
    label = label or str(path)
    kind = FileKind(
        "payment file",
        "no payments",
        COLUMNS,
        partial(validate_payment, today=now.astimezone(zone).date()),
    )
    problem = _Problems(report)
    with Staging() as staging:
        rows, encoding = _check_file(path, label, kind, bank=bank, problem=problem, staging=staging)
        if problem.total and not rows:
            problem.reject_if_any()
        sha256 = file_sha256(path)
        with import_transaction(sessions, report) as session:
            matcher = CaseMatcher(session, bank)
            for batch in staging.staged(BATCH_SIZE):
                cases = matcher.resolve([_decode(v) for v in batch])
                for row, found in sorted(cases.items()):
                    if not isinstance(found, int):
                        problem(f"{label}:{row}:{found[0]}: {found[1]}")
            problem.reject_if_any()
            loader = PaymentLoader(session, sha256, actor)
            for batch in staging.staged(BATCH_SIZE):
                records = [_decode(v) for v in batch]
                loader.load(records, matcher.resolve(records))
            loader.counts.cases_paid = close_paid_cases(session, loader.touched, day_in(zone))
            record_audit(
                session,
                actor,
                "payments.import",
                object_type="file",
                object_id=sha256[:16],
                detail={
                    "file": path.name,
                    "sha256": sha256,
                    "rows": rows,
                    "encoding": encoding,
                    "bank": bank,
                    **_counted(loader.counts),
                },
            )
    return PaymentReport(path.name, sha256, encoding, rows, loader.counts)


def _counted(counts: PaymentCounts) -> dict[str, object]:
    return {
        "added": counts.added,
        "already_imported": counts.already_imported,
        "cases_paid": len(counts.cases_paid),
        "cases_paid_ids": counts.cases_paid[:AUDITED_CASES],
    }
