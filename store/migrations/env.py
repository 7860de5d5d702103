"""Alembic environment: runs on the connection :func:`store.migrate.upgrade` hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from store.models import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


_connection = context.config.attributes.get("connection")
if _connection is None:
    raise RuntimeError("store migrations run through store.migrate, which passes a connection")
_run(_connection)
