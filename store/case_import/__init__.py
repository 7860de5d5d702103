"""Importing case files (.csv, .xlsx): validate everything, then write all or nothing.

Pass 1 streams the file and reports every problem as ``FILE:ROW:COLUMN: message``
without touching the database. Pass 2 runs only for a clean file and writes
every row in one transaction, with an audit row.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.case_import.columns import resolve_header
from store.case_import.load import CaseLoader, LoadCounts
from store.case_import.lock import import_transaction
from store.case_import.staging import Staging
from store.case_import.table import MAX_COLUMNS, RowError, Table, TableError, open_table
from store.case_import.validate import CaseRecord, validate_row
from store.db import SessionFactory
from store.errors import ImportRejected
from store.safe_text import neutralise

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


def _records(path: Path, label: str, encoding: list[str]) -> Iterator[CaseRecord | str]:
    """Yield each valid record, or a problem line, for every row of the file.

    The detected encoding is appended to ``encoding`` once the file is open.
    """
    try:
        table = open_table(path)
    except TableError as exc:
        yield f"{label}: {exc}"
        return
    encoding.append(table.encoding)
    try:
        yield from _table_records(table, label)
    finally:
        table.close()


def _table_records(table: Table, label: str) -> Iterator[CaseRecord | str]:
    if len(table.header) > MAX_COLUMNS:
        yield (
            f"{label}:1: the header has {len(table.header)} columns; "
            f"a case file has at most {MAX_COLUMNS}"
        )
        return
    names, header_problems = resolve_header(table.header)
    for _index, cell, message in header_problems:
        yield f"{label}:1:{neutralise(cell)}: {message}"
    if header_problems:
        return
    data_rows = 0
    for item in table.rows:
        if isinstance(item, RowError):
            yield f"{label}:{item.row}: {item.message}" if item.row else f"{label}: {item.message}"
            return
        row, cells, line = item
        if not any(cell.strip() for cell in cells):
            continue
        data_rows += 1
        # Where a quoted line break made rows and lines part, say the line too.
        at = f" (line {line})" if line != row else ""
        if len(cells) > len(names):
            yield f"{label}:{row}: row has {len(cells)} fields but the header has {len(names)}{at}"
            continue
        values = {name: cell for name, cell in zip(names, cells, strict=False) if name}
        record, problems = validate_row(row, values)
        for column, message in problems:
            yield f"{label}:{row}:{column}: {message}{at}"
        if record is not None:
            yield record
    if data_rows == 0:
        yield f"{label}: no cases: the file has a header but no data rows"


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

    for item in _records(path, label, encoding):
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
