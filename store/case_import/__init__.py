"""Importing case files (.csv, .xlsx): validate everything, then write all or nothing.

Pass 1 streams the file and reports every problem as ``FILE:ROW:COLUMN: message``
without touching the database. Pass 2 runs only for a clean file and writes
every row in one transaction, with an audit row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.case_import.columns import COLUMNS
from store.case_import.load import CaseLoader, LoadCounts
from store.case_import.lock import import_transaction
from store.case_import.records import FileKind, file_records
from store.case_import.staging import Staging
from store.case_import.validate import CaseRecord, validate_row
from store.db import SessionFactory
from store.errors import ImportRejected

BATCH_SIZE = 2000
KEPT_PROBLEMS = 1000
"""Problems kept in the exception; all of them still go to the ``report`` callback."""

Reporter = Callable[[str], None]


@dataclass(frozen=True)
class ImportReport:
    """What an accepted import did."""

    file: str
    sha256: str
    encoding: str
    rows: int
    counts: LoadCounts


CASE_FILE: FileKind[CaseRecord] = FileKind("case file", "no cases", COLUMNS, validate_row)


@dataclass(frozen=True)
class FileCheck:
    """The outcome of pass 1."""

    rows: int
    encoding: str
    problems: list[str]
    """The first :data:`KEPT_PROBLEMS` problems."""
    total_problems: int


def check_file(path: Path, label: str, report: Reporter, staging: Staging) -> FileCheck:
    """Pass 1: validate every row and stage it, without touching the database."""
    kept: list[str] = []
    encoding: list[str] = []
    total = rows = 0

    def problem(line: str) -> None:
        nonlocal total
        total += 1
        report(line)
        if len(kept) < KEPT_PROBLEMS:
            kept.append(line)

    for item in file_records(path, label, CASE_FILE, encoding):
        if isinstance(item, str):
            problem(item)
            continue
        rows += 1
        staging.stage(item)
        dup = staging.first(f"acct\t{item.client_bank}\t{item.account_no}", item.row)
        if dup:
            problem(f"{label}:{item.row}:account_no: {item.account_no!r} already on row {dup[0]}")
        other = staging.first(f"rid\t{item.resident_id}", item.row, item.debtor_name)
        if other and other[1] != item.debtor_name:
            problem(
                f"{label}:{item.row}:resident_id: same ID as row {other[0]}, "
                f"which names the debtor {other[1]!r}, not {item.debtor_name!r}"
            )
    return FileCheck(rows, encoding[0] if encoding else "", kept, total)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _refresh_statistics(session: Session) -> None:
    """PostgreSQL plans from sampled statistics that autovacuum refreshes only later: just
    after a bulk import they still describe the old tables (a 1,000,000-number book was
    planned as 370,000 rows and JIT-compiled, 0.6 s slower to read for worklists). SQLite's
    planner goes by its indexes and needs nothing."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE person, phone_number, collection_case, case_contact"))


def import_cases(
    path: Path,
    sessions: SessionFactory,
    actor: str,
    report: Reporter = lambda _line: None,
    label: str | None = None,
) -> ImportReport:
    """Validate then import a case file.

    On any problem raise :class:`ImportRejected` having written nothing.
    """
    label = label or str(path)
    with Staging() as staging:
        check = check_file(path, label, report, staging)
        if check.total_problems:
            raise ImportRejected(check.problems, check.total_problems)
        sha256 = file_sha256(path)
        with import_transaction(sessions, report) as session:
            loader = CaseLoader(session)
            for batch in staging.records(BATCH_SIZE):
                loader.load(batch)
            detail = {
                "file": path.name,
                "sha256": sha256,
                "rows": check.rows,
                "encoding": check.encoding,
                **asdict(loader.counts),
            }
            _refresh_statistics(session)
            record_audit(
                session,
                actor,
                "cases.import",
                object_type="file",
                object_id=sha256[:16],
                detail=detail,
            )
    return ImportReport(path.name, sha256, check.encoding, check.rows, loader.counts)
