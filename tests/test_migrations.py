"""The migrations build exactly the models, on both databases, and re-running is harmless."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from store.migrate import current_revision, head_revision, upgrade
from store.models import Base
from tests.helpers import snapshot


def test_schema_matches_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_upgrade_twice_is_harmless(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    before = snapshot(engine)
    assert upgrade(engine) == (head_revision(), head_revision())
    assert snapshot(engine) == before
