"""What the console accepts from a request before any route sees it. Pure: bytes and text in
(its refusals are worded in the request's language, :mod:`console.i18n`).

Ids and form text are bounded here so that an absurd value is a 4xx with a message
naming the field, never a database overflow or a 500 half-way through a transaction.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import unquote_to_bytes

from fastapi import Form, Path

from console.i18n import _

MAX_ID = 2**63 - 1
"""The largest id a row can have (a signed 64-bit integer, on both databases)."""
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""An id in a URL path."""
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
"""An id in a form field."""
MAX_FORM_BYTES = 10 * 1024 * 1024
# C0 controls other than tab, LF and CR have no place in anything a person types.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text_problem(raw: bytes, where: str) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return _("%(where)s：不是有效的 UTF-8 文本") % {"where": where}
    if found := _CONTROL.search(text):
        code = f"U+{ord(found.group()):04X}"
        message = _("%(where)s：须为不含控制字符的 UTF-8 文本（发现 %(code)s）")
        return message % {"where": where, "code": code}
    return None


def urlencoded_problem(body: bytes, what: str) -> str | None:
    """Why an ``a=b&c=d`` string (a form body, a query string) is refused, or None.

    Every name and value must be UTF-8 text without control characters once its
    %-escapes are undone; the framework would otherwise put U+FFFD in silently, or pass
    a NUL on to a database that refuses it with a 500.
    """
    for pair in body.split(b"&"):
        if not pair:
            continue
        name, _sep, value = pair.partition(b"=")
        name_bytes = unquote_to_bytes(name.replace(b"+", b" "))
        shown = name_bytes.decode("utf-8", "replace")[:40]
        places = (
            (name_bytes, _("%(what)s字段名") % {"what": what}),
            (value, _("%(what)s字段 %(name)r") % {"what": what, "name": shown}),
        )
        for raw, where in places:
            decoded = raw if raw is name_bytes else unquote_to_bytes(raw.replace(b"+", b" "))
            problem = _text_problem(decoded, where)
            if problem:
                return problem
    return None


def path_problem(raw_path: bytes) -> str | None:
    """Why a request's path is refused (see :func:`urlencoded_problem`), or None."""
    return _text_problem(unquote_to_bytes(raw_path), _("网址"))
