"""From a file to validated records or ``FILE:ROW:COLUMN`` problems, for any kind of file.

The case import and the payment import read their files the same way: the table readers
(:mod:`store.case_import.table`), the header resolved against the kind's columns, blank
rows skipped, a row wider than the header refused, every cell checked for forbidden
characters and length (:mod:`store.case_import.cells`), then the kind's own row rules.
Pure but for reading the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from store.case_import.columns import Column, resolve_columns
from store.case_import.table import MAX_COLUMNS, RowError, Table, TableError, open_table
from store.safe_text import neutralise

Record = TypeVar("Record")
Problems = list[tuple[str, str]]
"""(column, message) pairs for one row."""


@dataclass(frozen=True)
class FileKind(Generic[Record]):
    """What one kind of file holds and how a row of it is validated."""

    noun: str
    """``case file``: how messages name the file."""
    empty: str
    """``no cases``: what a file with a header and no rows lacks."""
    columns: tuple[Column, ...]
    validate: Callable[[int, dict[str, str]], tuple[Record | None, Problems]]


def file_records(
    path: Path, label: str, kind: FileKind[Record], encoding: list[str]
) -> Iterator[Record | str]:
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
        yield from table_records(table, label, kind)
    finally:
        table.close()


def table_records(table: Table, label: str, kind: FileKind[Record]) -> Iterator[Record | str]:
    """The records and problems of an open table."""
    if len(table.header) > MAX_COLUMNS:
        yield (
            f"{label}:1: the header has {len(table.header)} columns; "
            f"a {kind.noun} has at most {MAX_COLUMNS}"
        )
        return
    names, header_problems = resolve_columns(table.header, kind.columns)
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
        record, problems = kind.validate(row, values)
        for column, message in problems:
            yield f"{label}:{row}:{column}: {message}{at}"
        if record is not None:
            yield record
    if data_rows == 0:
        yield f"{label}: {kind.empty}: the file has a header but no data rows"
