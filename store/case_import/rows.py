"""What the file readers hand to validation, and the limits every reader enforces.

The limits bound the work and memory one file can cost before a single row is
validated; they are documented in config/samples/README.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

MAX_FIELD_CHARS = 10_000
"""No real cell is longer; a longer one means a broken quote, a binary file or an attack."""
MAX_COLUMNS = 64
"""A case file has at most 27 known columns: a wider sheet is refused before it is read."""


class TableError(Exception):
    """The file cannot be read as a table at all (message names what is wrong)."""


class Row(NamedTuple):
    """One row of cells; ``line`` is the line of the file it starts on (CSV), else ``number``."""

    number: int
    cells: list[str]
    line: int


@dataclass(frozen=True)
class RowError:
    """A row that could not be read; reading stops after it. Row 0 is the file as a whole."""

    row: int
    message: str


@dataclass
class Table:
    """A header and an iterator of rows (row 1 is the header)."""

    header: list[str]
    rows: Iterator[Row | RowError]
    encoding: str
    close: Callable[[], None]
