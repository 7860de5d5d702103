"""Masking of phone numbers and resident IDs for logs and screens.

Callers show masked values by default; unmasked values are for roles that
need them and every unmasking is audit-logged by the caller.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

import phonenumbers

_RESIDENT_ID = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
_E164 = re.compile(r"\+\d{8,15}")
# 3-4-4 digits, run together or in groups (one space or hyphen), as a number read out is written
_CN_MOBILE = re.compile(r"(?<!\d)(?:86)?(1[3-9]\d)([ -]?)\d{4}\2(\d{4})(?!\d)")
_CN_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-?\d{3,4}(\d{4})(?!\d)")


@lru_cache(maxsize=8192)  # a worklist page masks ~250 numbers; parsing each is ~25 µs
def mask_phone(number: str) -> str:
    """``+8613812348000`` → ``138****8000``; landlines keep area code and last 4 digits."""
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return _mask_digits(number)
    national = phonenumbers.national_significant_number(parsed)
    if parsed.country_code != 86:
        return f"+{parsed.country_code} {national[:3]}****{national[-4:]}"
    if len(national) == 11 and national.startswith("1"):
        return f"{national[:3]}****{national[-4:]}"
    area = phonenumbers.length_of_geographical_area_code(parsed) or 3
    return f"0{national[:area]}****{national[-4:]}"


def _mask_digits(value: str) -> str:
    if len(value) <= 4:
        return "*" * len(value)
    return "*" * (len(value) - 4) + value[-4:]


def mask_resident_id(resident_id: str) -> str:
    """``110101199003074514`` → ``110101********4514`` (region kept, birth date hidden)."""
    if len(resident_id) != 18:
        return _mask_digits(resident_id)
    return f"{resident_id[:6]}********{resident_id[-4:]}"


def mask_text(text: str) -> str:
    """Mask every resident ID and phone number found in free text."""
    text = _RESIDENT_ID.sub(r"\1********\2", text)
    text = _E164.sub(lambda m: mask_phone(m.group(0)), text)
    text = _CN_MOBILE.sub(r"\1****\3", text)
    return _CN_LANDLINE.sub(r"\1****\2", text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks PII in every record's rendered message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``: the surname an agent greets by, not enough to identify anyone."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else "*" * len(name)
