"""A throwaway PostgreSQL database for one bench run, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new empty database on ``admin_url``'s server; yields its SQLAlchemy URL."""
    name = f"cw_bench_{uuid.uuid4().hex[:8]}"
    admin = admin_url.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
