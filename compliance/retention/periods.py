"""Retention periods as data: a default and per client bank, in days, for recordings,
transcripts, notes and attempts separately, validated when loaded.

The file (``retention.toml``)::

    [default]
    recordings_days = 1095
    transcripts_days = 1095
    notes_days = 1825
    attempts_days = 1825

    [bank.cmb]            # a client bank's code; keys it leaves out come from [default]
    recordings_days = 1825

Card regulation keeps collection records at least two years, so a period under
:data:`MIN_DAYS` is refused, naming the file and key. :func:`parse_periods` is pure;
:func:`load_periods` finds and reads the file (the admins' copy first, then the shipped one).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from compliance.errors import RetentionError
from compliance.files import locate_toml

MIN_DAYS = 731
"""Two years with a leap day in them: the shortest period card regulation allows."""
MAX_DAYS = 365_250
"""A thousand years: "keep for good" fits, and every expiry date stays a date (a larger
count overflows ``datetime`` when the run adds it)."""
FILE_NAME = "retention.toml"
KEYS = ("recordings_days", "transcripts_days", "notes_days", "attempts_days")


class Kind(StrEnum):
    """What a retention period applies to; the values are the tombstones' ``kind``."""

    RECORDING = "recording"
    TRANSCRIPT = "transcript"
    NOTE = "note"
    ATTEMPT = "attempt"


@dataclass(frozen=True)
class KindDays:
    """Days each kind is kept."""

    recordings_days: int
    transcripts_days: int
    notes_days: int
    attempts_days: int

    def days(self, kind: Kind) -> int:
        days: int = getattr(self, f"{kind.value}s_days")
        return days


@dataclass(frozen=True)
class RetentionPeriods:
    """The default periods, and the periods each client bank's section sets."""

    default: KindDays
    banks: Mapping[str, Mapping[str, int]]
    """Bank code -> the keys its own section sets; what it leaves out is the default's."""
    source: str = ""
    """The file they came from, for messages."""

    def period(self, bank: str | None, kind: Kind) -> tuple[int, str]:
        """The days ``kind`` is kept for ``bank``, and the rule's name as the file spells it."""
        key = f"{kind.value}s_days"
        own = self.banks.get(bank, {}) if bank is not None else {}
        if key in own:
            return own[key], f"bank.{bank}.{key} = {own[key]}"
        days = self.default.days(kind)
        return days, f"default.{key} = {days}"


def shipped_retention_dir() -> Path:
    return Path(str(resources.files("config") / "retention"))


def load_periods(search: tuple[Path, ...] = ()) -> RetentionPeriods:
    """The first ``retention.toml`` in ``search`` (the admins' folder), else the shipped one.

    Something that is there but is not a file is refused: passing over it would hand the
    centre the shipped periods instead of its own.
    """
    for path in (folder / FILE_NAME for folder in search):
        if path.exists() and not path.is_file():
            raise RetentionError([f"{path}: not a file"])
    found = locate_toml(Path(FILE_NAME).stem, (*search, shipped_retention_dir()), "periods")
    if not isinstance(found, Path):
        raise RetentionError([str(found)])
    return parse_periods(str(found), found.read_bytes())


def parse_periods(source: str, raw: bytes) -> RetentionPeriods:
    """Validate one file, reporting every problem at once (each as ``FILE: key: why``)."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RetentionError([f"{source}: not valid UTF-8 TOML: {exc}"]) from exc
    problems: list[str] = []
    unknown = sorted(set(data) - {"default", "bank"})
    problems += [f"{source}: {key}: unknown key (expected default, bank)" for key in unknown]
    default_raw = data.get("default")
    if not isinstance(default_raw, dict):
        problems.append(f"{source}: default: a [default] table with {', '.join(KEYS)} is required")
        default_raw = {}
    default = _section(source, "default", default_raw, None, problems)
    banks_raw = data.get("bank", {})
    if not isinstance(banks_raw, dict):
        problems.append(f"{source}: bank: expected tables [bank.CODE]")
        banks_raw = {}
    banks: dict[str, dict[str, int]] = {}
    for code, section in banks_raw.items():
        where = f"bank.{code}"
        if not isinstance(section, dict):
            problems.append(f"{source}: {where}: expected a table of periods")
            continue
        _section(source, where, section, default, problems)
        banks[code] = {key: section[key] for key in KEYS if key in section}
    if problems:
        raise RetentionError(problems)
    return RetentionPeriods(default, banks, source)


def _section(
    source: str,
    where: str,
    section: dict[str, Any],
    fallback: KindDays | None,
    problems: list[str],
) -> KindDays:
    values: dict[str, int] = {}
    for key in sorted(set(section) - set(KEYS)):
        problems.append(f"{source}: {where}.{key}: unknown key (expected {', '.join(KEYS)})")
    for key in KEYS:
        value = section.get(key)
        if value is None:
            if fallback is None:
                problems.append(f"{source}: {where}.{key}: missing")
                values[key] = MIN_DAYS
            else:
                values[key] = getattr(fallback, key)
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{source}: {where}.{key}: expected a whole number of days")
            values[key] = MIN_DAYS
        elif value < MIN_DAYS:
            problems.append(
                f"{source}: {where}.{key}: {value} days is shorter than the {MIN_DAYS} days "
                "(2 years) card regulation keeps collection records"
            )
            values[key] = MIN_DAYS
        elif value > MAX_DAYS:
            problems.append(
                f"{source}: {where}.{key}: {value} days is longer than the {MAX_DAYS} days "
                "a period may be"
            )
            values[key] = MAX_DAYS
        else:
            values[key] = value
    return KindDays(**values)
