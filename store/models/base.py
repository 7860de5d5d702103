"""Declarative base with a naming convention alembic can rely on."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

from store.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """All tables derive from this; datetimes are aware UTC on every backend."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads it as a class attribute)
        datetime: UTCDateTime(),
        date: Date(),
        dict[str, Any]: JSON(),
        # SQLite only auto-increments a column declared exactly INTEGER.
        int: BigInteger().with_variant(Integer(), "sqlite"),
    }
