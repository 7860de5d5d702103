"""Characters that must not reach a terminal or a stored name: controls and format marks.

C0/C1 controls (ESC starts terminal escape sequences, BEL rings, CR and LF break lines),
Unicode format characters (bidi overrides such as RLO reorder what is shown, zero-width
marks and stray BOMs hide text) and the line and paragraph separators. Private-use
characters stay allowed: GB18030 maps some rare name characters there.
"""

from __future__ import annotations

import unicodedata

FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def forbidden(char: str) -> bool:
    return unicodedata.category(char) in FORBIDDEN_CATEGORIES


def first_forbidden(text: str) -> str | None:
    """The first forbidden character of ``text``, or None.

    ``isprintable`` is false for every forbidden category (and for spaces other than
    U+0020, unassigned and private-use characters, which are looked at one by one).
    """
    if text.isprintable():
        return None
    return next((char for char in text if forbidden(char)), None)


def describe(char: str) -> str:
    """``U+001B (ESCAPE)``: how a message names a character without printing it."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "control character")
    return f"U+{ord(char):04X} ({name})"


_CONTROL_NAMES = {
    0x00: "NUL",
    0x07: "BELL",
    0x08: "BACKSPACE",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def neutralise(text: str) -> str:
    """``text`` with each forbidden character written as an escape such as ``\\x1b``
    or ``\\u202e``, so what is already stored prints as one inert line."""
    if first_forbidden(text) is None:
        return text
    return "".join(_escape(char) if forbidden(char) else char for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
