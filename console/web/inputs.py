"""What the console accepts from a request before any route sees it. Pure: bytes and text in
(its refusals are worded in the request's language, :mod:`console.i18n`).

Ids and form text are bounded here so that an absurd value is a 4xx with a message
naming the field, never a database overflow or a 500 half-way through a transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from fastapi import Form, Path

from console.i18n import N_, _

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


# The framework's checks of a form field (pydantic's error types), said in the reader's
# language; anything else is named by the value that was refused.
_KIND = {
    "missing": N_("必填"),
    "int_parsing": N_("须为整数"),
    "int_type": N_("须为整数"),
    "int_from_float": N_("须为整数"),
    "float_parsing": N_("须为数字"),
    "float_type": N_("须为数字"),
    "decimal_parsing": N_("须为数字"),
    "bool_parsing": N_("须为是或否"),
    "date_parsing": N_("不是有效日期"),
    "date_from_datetime_parsing": N_("不是有效日期"),
    "datetime_parsing": N_("不是有效的日期时间"),
    "datetime_from_date_parsing": N_("不是有效的日期时间"),
    "string_type": N_("须为文本"),
}
_LIMIT = {
    "greater_than_equal": (N_("须不小于 %(limit)s"), "ge"),
    "greater_than": (N_("须大于 %(limit)s"), "gt"),
    "less_than_equal": (N_("须不大于 %(limit)s"), "le"),
    "less_than": (N_("须小于 %(limit)s"), "lt"),
    "string_too_short": (N_("至少 %(limit)s 个字符"), "min_length"),
    "string_too_long": (N_("至多 %(limit)s 个字符"), "max_length"),
}


FIELD_ZH = {
    "account_class": N_("分类"),
    "account_no": N_("账号"),
    "active": N_("启用"),
    "agent_code": N_("坐席工号"),
    "alleged": N_("投诉内容"),
    "against": N_("对照的版本"),
    "at": N_("时刻"),
    "attempt_id": N_("通话"),
    "bank_told": N_("已告知银行"),
    "bpage": N_("页码"),
    "call_attempt_id": N_("通话"),
    "case_id": N_("案件"),
    "channel": N_("渠道"),
    "content": N_("内容"),
    "date": N_("日期"),
    "detail": N_("说明"),
    "dpage": N_("页码"),
    "flag_id": N_("标记"),
    "from": N_("起始日期"),
    "grade": N_("等级"),
    "kind": N_("类型"),
    "handler": N_("处理人"),
    "locale": N_("语言"),
    "mode": N_("方式"),
    "month": N_("月份"),
    "note": N_("说明"),
    "number": N_("号码"),
    "outcome": N_("结果"),
    "password": N_("密码"),
    "period": N_("周期"),
    "phone_number_id": N_("号码"),
    "promised_amount": N_("承诺金额"),
    "promised_date": N_("承诺日期"),
    "reason": N_("原因"),
    "recording_id": N_("录音"),
    "remark": N_("备注"),
    "resolution": N_("处理结果"),
    "result": N_("结论"),
    "role": N_("角色"),
    "scope": N_("范围"),
    "show": N_("筛选"),
    "text": N_("通话内容"),
    "to": N_("截止日期"),
    "username": N_("用户名"),
    "utterance_id": N_("语句编号"),
    "valid_from": N_("生效时间"),
    "valid_until": N_("有效期至"),
    "verdict": N_("质检结论"),
}
"""The form and query fields by the labels their pages give them (a refusal names the field
the person filled in, not the code's name for it; an unlisted field by its name)."""


def field_problem(error: Mapping[str, Any]) -> str:
    """One refusal of the framework's form check (``RequestValidationError.errors()``), as
    ``field: why`` in the request's language."""
    names = [str(p) for p in error["loc"][1:]]
    where = ".".join(_(FIELD_ZH[n]) if n in FIELD_ZH else n for n in names) or _("请求")
    kind = error["type"]
    if kind in _KIND:
        why = _(_KIND[kind])
    elif kind in _LIMIT:
        message, key = _LIMIT[kind]
        why = _(message) % {"limit": error.get("ctx", {}).get(key, "?")}
    elif kind in {"literal_error", "enum"}:
        why = _("不是可选的值：%(value)r") % {"value": _shown(error.get("input"))}
    else:
        why = _("值无效：%(value)r") % {"value": _shown(error.get("input"))}
    return _("%(where)s：%(why)s") % {"where": where, "why": why}


def _shown(value: object) -> object:
    # a refused value is echoed back bounded (a form field may be megabytes)
    return value[:80] if isinstance(value, str) else value


_PHRASES = {code.value: code.phrase for code in HTTPStatus}
_GENERIC = {404: N_("未找到该页面"), 405: N_("此网址不接受该请求方法")}
_REFUSED = N_("请求未被接受（HTTP %(status)s）")
_STARLETTE = {
    # what Starlette's form parser says (its limits per field, per form), by how it begins
    "Field exceeded maximum size": N_("表单字段过大：每个字段至多 1 MB"),
    "Too many fields": N_("表单字段过多"),
    "Too many files": N_("表单文件过多"),
}


def framework_refusal(status: int, detail: str) -> str:
    """An HTTP refusal's message for the page: the framework's own English (a path that is
    no page, a method a page does not take, a form past the parser's limits) said in the
    request's language; the console's own messages, already in it, as they are."""
    if status in _PHRASES and detail == _PHRASES[status]:
        said = _GENERIC.get(status, _REFUSED)
        return _(said) % {"status": status}
    for begins, message in _STARLETTE.items():
        if detail.startswith(begins):
            return _(message)
    return detail
