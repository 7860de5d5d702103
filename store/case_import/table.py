"""Opening a case file (CSV in UTF-8/BOM/GBK, or .xlsx) as numbered rows.

Memory stays bounded by one row: CSV is decoded line by line (store.case_import.csv_reader)
and xlsx is streamed from its XML after its zip has been checked (xlsx_parts, xlsx_sheet).
"""

from __future__ import annotations

import codecs
import stat
from pathlib import Path

from store.case_import.csv_reader import csv_rows
from store.case_import.rows import MAX_COLUMNS, MAX_FIELD_CHARS, Row, RowError, Table, TableError
from store.case_import.xlsx_sheet import open_xlsx

__all__ = [
    "MAX_COLUMNS",
    "MAX_FIELD_CHARS",
    "Row",
    "RowError",
    "Table",
    "TableError",
    "detect_encoding",
    "open_table",
]

SNIFF_BYTES = 64 * 1024


def open_table(path: Path) -> Table:
    """Open a .csv or .xlsx case file; raise :class:`TableError` if it is unreadable."""
    _regular_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _open_csv(path)
    if suffix == ".xlsx":
        return open_xlsx(path)
    raise TableError(f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx")


def _regular_file(path: Path) -> None:
    """Refuse, before opening it, anything but a regular file (links followed): a device
    such as /dev/urandom never ends, and opening a FIFO blocks until someone writes."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise TableError(f"cannot read: {exc.strerror}") from exc
    if stat.S_ISDIR(mode):
        raise TableError("not a regular file (a folder)")
    if not stat.S_ISREG(mode):
        raise TableError("not a regular file (a device, FIFO or socket)")


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
    records = csv_rows(path, encoding)
    first = next(records, None)
    if first is None or isinstance(first, RowError):
        records.close()
        raise TableError(first.message if first else "empty file")
    return Table(header=first.cells, rows=records, encoding=encoding, close=records.close)
