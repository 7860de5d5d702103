"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime; stored naive-UTC so SQLite and PostgreSQL agree."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def enum_column(enum_cls: type[enum.Enum], length: int = 24, name: str = "") -> Enum:
    """A portable enum column: VARCHAR with a CHECK constraint holding the values (``name``
    tells apart two columns of one enum in one table, whose CHECKs would share a name)."""
    return Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=_values,
        validate_strings=True,
        name=name or f"ck_{enum_cls.__name__.lower()}",
    )


def _values(enum_cls: Any) -> list[str]:
    return [str(member.value) for member in enum_cls]


def utcnow() -> datetime:
    """The current instant, aware UTC. Only edge code calls this."""
    return datetime.now(UTC)
