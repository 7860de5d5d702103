"""What is wrong with an admin's data file (a policy profile, a calendar year, a lexicon, the
approved phrases), in words the console renders in its reader's language.

A problem is a :class:`Said`: where it is (``FILE:LINE: key``, data that no language
changes) and what is wrong. The validator's own English never reaches the reader: each kind
of refusal has its words here, and a rule of ours that refuses a value raises
``compliance.said.SaidError`` with its words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from compliance.said import N_, Said, SaidError

Problem = Said | str
"""One line of a refusal: words to translate, or (rarely) text as it is, such as a path."""


def at(where: str, what: Said) -> Said:
    """``what`` is wrong at ``where`` (``FILE:LINE: key``)."""
    return Said(N_("%(where)s：%(what)s"), {"where": where, "what": what})


def refused_at(place: str, key: list[str], error: Mapping[str, Any]) -> Said:
    """The validation library's ``error`` at ``place`` (``FILE`` or ``FILE:LINE``) and the key
    its parts name (none: the file's top level)."""
    return at(": ".join([place, *([".".join(key)] if key else [])]), refusal(error))


def said(msgid: str, **params: object) -> Said:
    return Said(msgid, params)


UNKNOWN_KEY = N_("未知的键")
TIME_OF_DAY = N_("应为时刻（HH:MM）")

_BY_TYPE: Mapping[str, str] = {
    "missing": N_("缺少此项"),
    "extra_forbidden": UNKNOWN_KEY,
    "string_type": N_("应为文本"),
    "int_type": N_("应为整数"),
    "int_parsing": N_("应为整数"),
    "int_from_float": N_("应为整数"),
    "float_type": N_("应为数字"),
    "float_parsing": N_("应为数字"),
    "bool_type": N_("应为 true 或 false"),
    "bool_parsing": N_("应为 true 或 false"),
    "list_type": N_("应为列表"),
    "tuple_type": N_("应为列表"),
    "dict_type": N_("应为表"),
    "model_type": N_("应为表"),
    "model_attributes_type": N_("应为表"),
    "greater_than": N_("应大于 %(gt)s"),
    "greater_than_equal": N_("应不小于 %(ge)s"),
    "less_than": N_("应小于 %(lt)s"),
    "less_than_equal": N_("应不大于 %(le)s"),
    "too_short": N_("至少需要 %(min_length)s 项"),
    "too_long": N_("至多 %(max_length)s 项"),
    "string_too_short": N_("至少 %(min_length)s 个字符"),
    "string_too_long": N_("至多 %(max_length)s 个字符"),
    "string_pattern_mismatch": N_("格式不符（应匹配 %(pattern)s）"),
    "date_type": N_("应为日期（YYYY-MM-DD）"),
    "date_parsing": N_("应为日期（YYYY-MM-DD）"),
    "date_from_datetime_parsing": N_("应为日期（YYYY-MM-DD）"),
    "date_from_datetime_inexact": N_("应为日期（YYYY-MM-DD）"),
    "time_type": TIME_OF_DAY,
    "time_parsing": TIME_OF_DAY,
    "datetime_type": N_("应为日期时间"),
    "datetime_parsing": N_("应为日期时间"),
    "union_tag_not_found": N_("缺少 %(discriminator)s"),
}
_ONE_OF = N_("应为以下之一：%(expected)s")
_NOT_A_KIND = N_("“%(tag)s”不是可用的种类（可用：%(expected_tags)s）")
_UNREADABLE = N_("取值无效：%(detail)s")
_QUOTED = re.compile(r"'([^']*)'")


def refusal(error: Mapping[str, Any]) -> Said:
    """The words for one refusal of the validation library (an entry of its ``errors()``)."""
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("value_error", "assertion_error"):
        raised = ctx.get("error")
        if isinstance(raised, SaidError):
            return raised.said
        return said(_UNREADABLE, detail=str(raised))
    if kind in ("literal_error", "enum"):
        # the library writes the choices as English ('a', 'b' or 'c'): the reader's own
        # language joins them
        return said(_ONE_OF, expected=tuple(_QUOTED.findall(str(ctx.get("expected", "")))))
    if kind == "union_tag_invalid":
        tags = tuple(_QUOTED.findall(str(ctx.get("expected_tags", ""))))
        return said(_NOT_A_KIND, tag=ctx.get("tag", ""), expected_tags=tags)
    msgid = _BY_TYPE.get(kind)
    if msgid is None:  # a kind no file of ours has met yet: the library's words, kept
        return said(_UNREADABLE, detail=str(error.get("msg", kind)))
    return Said(msgid, {k: v for k, v in ctx.items() if f"%({k})s" in msgid})


def faults(errors: list[Any]) -> list[Any]:
    """The validation library's refusals less its echoes: a list whose bad entry was dropped
    is also "too short", which is the same fault said twice."""
    return [
        error
        for error in errors
        if error.get("type") != "too_short"
        or not any(
            len(other["loc"]) > len(error["loc"])
            and tuple(other["loc"][: len(error["loc"])]) == tuple(error["loc"])
            for other in errors
        )
    ]


def relocated(problem: Problem, old: str, new: str) -> Problem:
    """``problem`` with ``old`` (a staged file's path, say) written as ``new`` wherever it
    names a place."""
    if isinstance(problem, str):
        return problem.replace(old, new)
    return Said(
        problem.msgid, {key: _moved(value, old, new) for key, value in problem.params.items()}
    )


def _moved(value: object, old: str, new: str) -> object:
    if isinstance(value, str | Said):
        return relocated(value, old, new)
    if isinstance(value, tuple):
        return tuple(_moved(item, old, new) for item in value)
    return value
