"""The ``Range`` request header, read as RFC 9110 §14 writes it. Pure: text and a size in.

Only one byte range is served as 206; a header that is not understood, or that asks for
several ranges, is ignored (the whole file, as §14.2 allows). A valid header none of whose
ranges overlap the file is unsatisfiable (416).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from console.errors import Unsatisfiable

# range-spec = int-range / suffix-range; positions are 1*DIGIT (leading zeros allowed).
_INT_RANGE = re.compile(r"([0-9]+)-([0-9]*)")
_SUFFIX_RANGE = re.compile(r"-([0-9]+)")
_UNIT = "bytes="
# More digits than any file's size can have: the number is "past the end", whatever it is
# (and int() is never asked to parse thousands of digits).
_MAX_DIGITS = 18


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``first`` to ``last`` inclusive, as Content-Range writes them."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.first}-{self.last}/{size}"


def _number(digits: str) -> int | None:
    """The position, or None for one too long to be inside any file."""
    return None if len(digits.lstrip("0")) > _MAX_DIGITS else int(digits)


def _one(spec: str, size: int) -> ByteRange | None:
    """One range-spec against the file; None when it is valid but outside the file.

    Raises ValueError when it is not a range-spec at all.
    """
    if match := _INT_RANGE.fullmatch(spec):
        first = _number(match.group(1))
        last = _number(match.group(2)) if match.group(2) else None
        if match.group(2) and last is not None and first is not None and last < first:
            raise ValueError("last-pos before first-pos")
        if first is None or first >= size:
            return None
        return ByteRange(first, size - 1 if last is None else min(last, size - 1))
    if match := _SUFFIX_RANGE.fullmatch(spec):
        suffix = _number(match.group(1))
        if suffix == 0 or size == 0:
            return None
        return ByteRange(0 if suffix is None else max(size - suffix, 0), size - 1)
    raise ValueError(f"not a range: {spec!r}")


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The one range to serve, or None to serve the whole file.

    Raises :class:`Unsatisfiable` for a valid header that asks only for bytes past the end.
    """
    if header is None or header[: len(_UNIT)].lower() != _UNIT:
        return None
    # range-set = 1#range-spec: comma-separated, optional whitespace, empty elements allowed.
    specs = [part.strip(" \t") for part in header[len(_UNIT) :].split(",")]
    specs = [spec for spec in specs if spec]
    if not specs:
        return None
    try:
        ranges = [_one(spec, size) for spec in specs]
    except ValueError:
        return None
    inside = [r for r in ranges if r is not None]
    if not inside:
        raise Unsatisfiable
    return inside[0] if len(inside) == 1 else None
