"""Small helpers shared by tests."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
from sqlalchemy import Engine, select

from compliance.said import Said
from console.i18n import translations
from store.models import Base


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order: equal snapshots mean nothing changed."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, table in Base.metadata.tables.items():
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[name] = [tuple(row) for row in rows]
    return out


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def working_days_after(first: date, then: date) -> int:
    """Working days in (first, then], straight from chinese-calendar (the oracle the policy's
    working-day rules are checked against)."""
    span = range(1, (then - first).days + 1)
    return sum(bool(chinese_calendar.is_workday(first + timedelta(days=d))) for d in span)


def english(refused: BaseException | Sequence[object]) -> list[str]:
    """A refusal's problems (an error's ``problems``, or the list itself) as an English reader
    of the console reads them: the tests that name a reason name it in one language."""
    problems = getattr(refused, "problems", refused)
    en = translations("en").gettext
    return [p.render(en) if isinstance(p, Said) else str(p) for p in problems]
