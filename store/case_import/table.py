"""Streaming a case file (CSV in UTF-8/BOM/GBK, or .xlsx) as numbered rows.

Memory stays bounded by one row: CSV is decoded incrementally and xlsx is read
in openpyxl's read-only mode.
"""

from __future__ import annotations

import codecs
import csv
import zipfile
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

SNIFF_BYTES = 64 * 1024
MAX_FIELD_CHARS = 10_000
"""No real cell is longer; a longer one means a broken quote or a binary file."""


class TableError(Exception):
    """The file cannot be read as a table at all (message names what is wrong)."""


@dataclass(frozen=True)
class RowError:
    """A row that could not be parsed; reading stops after it."""

    row: int
    message: str


@dataclass
class Table:
    """A header and an iterator of ``(row_number, cells)`` (row 1 is the header)."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]] | RowError]
    encoding: str
    close: Callable[[], None]


def open_table(path: Path) -> Table:
    """Open a .csv or .xlsx case file; raise :class:`TableError` if it is unreadable."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _open_csv(path)
    if suffix == ".xlsx":
        return _open_xlsx(path)
    raise TableError(f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx")


def detect_encoding(sample: bytes) -> str:
    """Pick the encoding of a CSV from its first bytes: UTF-8 (with or without BOM) or GB18030."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TableError("UTF-16 text is not supported: save as CSV UTF-8 or CSV (GBK)")
    if b"\x00" in sample or _control_ratio(sample) > 0.01:
        raise TableError("binary data, not a CSV text file")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # GBK is a subset of GB18030, so one decoder reads what Excel writes in China.
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise TableError(f"neither UTF-8 nor GBK/GB18030 text (bad byte at {exc.start})") from exc


def _control_ratio(sample: bytes) -> float:
    if not sample:
        return 0.0
    controls = sum(1 for b in sample if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    return controls / len(sample)


def _open_csv(path: Path) -> Table:
    try:
        with path.open("rb") as raw:
            sample = raw.read(SNIFF_BYTES)
    except OSError as exc:
        raise TableError(f"cannot read: {exc.strerror}") from exc
    if not sample.strip():
        raise TableError("empty file: expected a header row and at least one case")
    encoding = detect_encoding(sample)
    records = _csv_records(path, encoding)
    first = next(records, None)
    if first is None or isinstance(first, RowError):
        records.close()
        raise TableError(first.message if first else "empty file")
    return Table(header=first[1], rows=records, encoding=encoding, close=records.close)


def _csv_records(path: Path, encoding: str) -> Generator[tuple[int, list[str]] | RowError]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    row = 0
    with path.open("r", encoding=encoding, newline="") as text:
        reader = csv.reader(text)
        while True:
            row += 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                yield RowError(row, f"bytes that are not valid {encoding} text; reading stopped")
                return
            except csv.Error as exc:
                yield RowError(row, f"cannot parse CSV ({exc}); reading stopped")
                return
            yield row, cells


def _open_xlsx(path: Path) -> Table:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as exc:
        raise TableError("not a readable .xlsx workbook") from exc
    except OSError as exc:
        raise TableError(f"cannot read: {exc.strerror}") from exc
    sheet = workbook.worksheets[0]
    rows = _xlsx_records(sheet.iter_rows(values_only=True))
    first = next(rows, None)
    if first is None or isinstance(first, RowError):
        workbook.close()
        raise TableError("empty workbook: expected a header row and at least one case")
    return Table(header=first[1], rows=rows, encoding="xlsx", close=workbook.close)


def _xlsx_records(
    source: Iterator[tuple[object, ...]],
) -> Iterator[tuple[int, list[str]] | RowError]:
    for row, values in enumerate(source, start=1):
        cells = [_cell_text(v) for v in values]
        while cells and cells[-1] == "":
            cells.pop()
        yield row, cells


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        # Excel keeps phone numbers typed as numbers in floats: 13812348000.0
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
