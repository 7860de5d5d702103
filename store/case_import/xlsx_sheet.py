"""Streaming the first sheet of an .xlsx workbook as rows of text.

Only the cells the sheet holds are read: the ``dimension`` tag is ignored and
missing rows and cells are never padded (a sheet claiming ``A1:XFD1048576`` once
cost minutes). A cell past :data:`MAX_COLUMNS`, longer than a CSV field may be,
holding a formula with no saved value, or an Excel error stops reading with a
message naming it.
"""

from __future__ import annotations

import zipfile
from collections.abc import Generator
from datetime import datetime
from pathlib import Path

from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from store.case_import.rows import MAX_COLUMNS, MAX_FIELD_CHARS, Row, RowError, Table, TableError
from store.case_import.xlsx_parts import TooLong, Workbook, feed, local, new_parser, open_parts

MAX_SHEET_ROW = 1_048_576
"""Excel's last row."""


class _CellError(Exception):
    """A cell that stops reading; the message names it."""


class _Sheet:
    """expat handlers that turn ``<row>``/``<c>`` elements into finished rows."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.done: list[Row] = []
        self.row = 0
        self.cells: dict[int, str] = {}
        self.cell: dict[str, str] = {}
        self.column = 0
        self.parts: list[str] = []
        self.length = 0
        self.collect = False
        self.formula = False
        self.phonetic = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "row":
            self._start_row(attrs.get("r"))
        elif tag == "c":
            ref = attrs.get("r")
            self.column = _column(ref) if ref else self.column + 1
            self.cell = attrs
            self.parts, self.length, self.formula = [], 0, False
        elif tag == "f":
            self.formula = True
        elif tag == "rPh":
            self.phonetic += 1
        elif tag in ("v", "t"):
            self.collect = not self.phonetic

    def end(self, tag: str) -> None:
        if tag in ("v", "t"):
            self.collect = False
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "c":
            self._end_cell()
        elif tag == "row" and any(self.cells.values()):
            width = max(self.cells)
            cells = [self.cells.get(col, "") for col in range(1, width + 1)]
            self.done.append(Row(self.row, cells, self.row))

    def text(self, data: str) -> None:
        if self.collect:
            self.length += len(data)
            if self.length <= MAX_FIELD_CHARS:
                self.parts.append(data)

    def _start_row(self, ref: str | None) -> None:
        number = int(ref) if ref and ref.isascii() and ref.isdigit() and len(ref) < 9 else 0
        if ref is None:
            number = self.row + 1
        if not self.row < number <= MAX_SHEET_ROW:
            raise _CellError(f"row number {ref!r} after row {self.row} is not a valid row")
        self.row, self.cells, self.column = number, {}, 0

    def _end_cell(self) -> None:
        where = self.cell.get("r") or f"column {self.column} of row {self.row}"
        if self.length > MAX_FIELD_CHARS:
            raise _CellError(
                f"cell {where} holds {self.length} characters, "
                f"more than the {MAX_FIELD_CHARS} characters a field may hold"
            )
        value = self._value(where)
        if not value:
            return
        if self.column > MAX_COLUMNS:
            raise _CellError(f"cell {where} is past column {MAX_COLUMNS}, the most a case file has")
        self.cells[self.column] = value

    def _value(self, where: str) -> str:
        kind = self.cell.get("t", "n")
        text = "".join(self.parts)
        if self.formula and not self.length:
            raise _CellError(
                f"cell {where} holds a formula with no saved value: "
                "open the file in Excel and save it, or paste the values"
            )
        if kind == "s":
            return self._shared(where, text)
        if kind == "e":
            raise _CellError(f"cell {where} holds the Excel error {text}")
        if kind == "b":
            return {"1": "True", "0": "False"}.get(text.strip(), text)
        if kind == "n" and text:
            return _number(
                text, int(self.cell.get("s", "0") or 0) in self.book.date_styles, self.book.date1904
            )
        return text  # inlineStr, str (a formula's text) and d (an ISO date)

    def _shared(self, where: str, text: str) -> str:
        index = int(text) if text.strip().isdigit() and len(text) < 10 else -1
        if not 0 <= index < len(self.book.shared):
            raise _CellError(f"cell {where} names shared string {text!r}, which does not exist")
        found = self.book.shared[index]
        if isinstance(found, TooLong):
            raise _CellError(
                f"cell {where} holds {int(found)} characters, "
                f"more than the {MAX_FIELD_CHARS} characters a field may hold"
            )
        return found


def _column(ref: str) -> int:
    """``AB12`` → 28; a reference past Excel's last column counts as far beyond it."""
    letters = ref.rstrip("0123456789").upper()
    if not letters or len(letters) > 3 or not letters.isascii() or not letters.isalpha():
        raise _CellError(f"cell reference {ref[:20]!r} is not valid")
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _number(text: str, is_date: bool, date1904: bool) -> str:
    """A number as openpyxl showed it: integers without ``.0``, dates in ISO 8601."""
    try:
        value: int | float = float(text) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        return text  # not a number at all: validation says so with the text
    if is_date:
        epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        try:
            moment = from_excel(value, epoch)
        except (ValueError, OverflowError):
            return text
        if isinstance(moment, datetime):
            return moment.isoformat()
        return str(moment)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel keeps phone numbers typed as numbers in floats
    return str(value)


def xlsx_rows(book: Workbook) -> Generator[Row | RowError]:
    """The sheet's non-empty rows in order, then a :class:`RowError` if reading failed."""
    sheet = _Sheet(book)
    parser = new_parser()
    parser.StartElementHandler = lambda tag, attrs: sheet.start(local(tag), attrs)
    parser.EndElementHandler = lambda tag: sheet.end(local(tag))
    parser.CharacterDataHandler = sheet.text
    with book.archive.open(book.sheet) as stream:
        more = True
        while more:
            try:
                more = feed(parser, book.sheet, stream)
            except _CellError as exc:
                yield from sheet.done
                yield RowError(sheet.row, f"{exc}; reading stopped")
                return
            except TableError as exc:
                yield from sheet.done
                yield RowError(0, str(exc))
                return
            yield from sheet.done
            sheet.done.clear()


def open_xlsx(path: Path) -> Table:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError) as exc:
        raise TableError("not a readable .xlsx workbook") from exc
    except OSError as exc:
        raise TableError(f"cannot read: {exc.strerror}") from exc
    try:
        rows = xlsx_rows(open_parts(archive))
        first = next(rows, None)
    except BaseException:
        archive.close()
        raise
    if first is None or isinstance(first, RowError):
        archive.close()
        raise TableError(
            first.message
            if first
            else "empty workbook: expected a header row and at least one case"
        )

    def close() -> None:
        rows.close()
        archive.close()

    return Table(header=first.cells, rows=rows, encoding="xlsx", close=close)
