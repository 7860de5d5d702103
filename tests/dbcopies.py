"""Copies of a prepared database, one per Hypothesis example: an example's rows (attempts,
holds, imports) must not be the next example's starting point, or a failure's shrunk example
(``steps=[]``) cannot be replayed on its own."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import Engine

from store.db import SessionFactory, make_engine, make_session_factory


@contextmanager
def copy_of(engine: Engine, folder: Path) -> Iterator[SessionFactory]:
    """A fresh copy of ``engine``'s database as it is now, dropped afterwards."""
    url = engine.url
    engine.dispose()  # PostgreSQL copies a template only while nobody is connected to it
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        target = folder / f"example-{uuid.uuid4().hex[:8]}.db"
        shutil.copy(url.database, target)
        wal = Path(f"{url.database}-wal")  # empty once the last connection closed, but be sure
        if wal.exists():
            shutil.copy(wal, Path(f"{target}-wal"))
        copied = make_engine(f"sqlite:///{target}")
        try:
            yield make_session_factory(copied)
        finally:
            copied.dispose()
            for leftover in folder.glob(f"{target.name}*"):
                leftover.unlink()
        return
    name = f"cw_ex_{uuid.uuid4().hex[:12]}"
    # connected to the maintenance database: nobody may be connected to a template
    admin = url.set(drivername="postgresql", database="postgres")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"')
    copied = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        yield make_session_factory(copied)
    finally:
        copied.dispose()
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
