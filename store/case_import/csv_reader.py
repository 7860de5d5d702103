"""Streaming a CSV case file as rows, each with the line of the file it starts on.

The file is split into lines and decoded one line at a time, so a bad byte is
reported at its own line and row: decoding ahead in 8 KiB chunks, as a text file
does, reported it dozens of rows early. No row may grow past
:data:`MAX_RECORD_BYTES`, whatever its quoting.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import BinaryIO

from store.case_import.rows import MAX_FIELD_CHARS, Row, RowError

MAX_RECORD_BYTES = 4 * 1024 * 1024
"""64 fields of 10,000 four-byte characters fit; an unclosed quote is stopped here."""
# A lone CR ends a line too (old Mac Excel); CRLF stays one ending.
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


class _BadBytes(Exception):
    def __init__(self, line: int, byte: int) -> None:
        self.line, self.byte = line, byte


class _TooLong(Exception):
    pass


class _Lines(Iterator[str]):
    """Decoded lines for :func:`csv.reader`, counting lines and the current record's bytes."""

    def __init__(self, raw: BinaryIO, encoding: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)("strict")
        self._pending: list[str] = []
        self.line = 0
        self.record_bytes = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._pending:
            self.line += 1
            return self._pending.pop()
        # Both UTF-8 and GB18030 keep 0x0A out of multi-byte characters: splitting is safe.
        data = self._raw.readline(MAX_RECORD_BYTES + 1)
        self.record_bytes += len(data)
        if self.record_bytes > MAX_RECORD_BYTES:
            raise _TooLong
        try:  # only the last line lacks a newline: bytes it leaves undecoded are an error
            text = self._decoder.decode(data, final=not data.endswith(b"\n"))
        except UnicodeDecodeError as exc:
            # at the end of the file, the bytes left over belong to its last line
            raise _BadBytes(self.line + (1 if data else 0), exc.start + 1) from None
        if not data:
            raise StopIteration
        if "\r" in text[:-2]:
            self._pending = [piece for piece in _LONE_CR.split(text) if piece][::-1]
            return next(self)
        self.line += 1
        return text


def csv_rows(path: Path, encoding: str) -> Generator[Row | RowError]:
    """Every record of the file, numbered from 1 (the header); stops after a :class:`RowError`."""
    csv.field_size_limit(MAX_FIELD_CHARS)
    with path.open("rb") as raw:
        lines = _Lines(raw, encoding)
        reader = csv.reader(lines)
        row = 0
        while True:
            row += 1
            start = lines.line + 1
            lines.record_bytes = 0
            try:
                cells = next(reader)
            except StopIteration:
                return
            except _BadBytes as exc:
                yield RowError(
                    row,
                    f"line {exc.line}: bytes that are not valid {encoding} text "
                    f"(byte {exc.byte} of the line); reading stopped",
                )
                return
            except _TooLong:
                yield RowError(
                    row, f"line {start}: row longer than {MAX_RECORD_BYTES} bytes; reading stopped"
                )
                return
            except csv.Error as exc:
                yield RowError(row, f"line {start}: cannot parse CSV ({exc}); reading stopped")
                return
            yield Row(row, cells, start)
