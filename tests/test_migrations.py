"""The migrations build exactly the models, on both databases, and re-running is harmless."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from store.db import make_engine
from store.migrate import current_revision, head_revision, upgrade
from store.models import Base
from store.qa import spot_draw
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


def test_upgrading_a_database_with_recordings_keeps_them(tmp_path: Path) -> None:
    """0003 and 0004 rebuild the recording table on SQLite while utterances point at it."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", "store:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO recording (id, sha256, path, size_bytes, status, created_at, tries) "
            "VALUES (1, 'ab', '/x.wav', 10, 'transcribed', '2026-11-24 00:00:00', 1)"
        )
        conn.exec_driver_sql(
            "INSERT INTO utterance (recording_id, speaker, start_s, end_s, text) "
            "VALUES (1, 'agent', 0.5, 1.5, '您好')"
        )
    assert upgrade(engine) == ("0002", head_revision())
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT text FROM utterance").all() == [("您好",)]
        # 0004 gives the recordings already stored their spot-check ticket, as intake does now.
        draw = conn.exec_driver_sql("SELECT spot_draw FROM recording").scalar()
        assert draw == spot_draw("ab") and 0 <= draw < 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_0007_gives_stored_utterances_their_confidence(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", "store:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO recording (id, sha256, path, size_bytes, status, created_at, tries) "
            "VALUES (1, 'ab', '/x.wav', 10, 'transcribed', '2026-11-24 00:00:00', 1)"
        )
        conn.exec_driver_sql(
            "INSERT INTO utterance (recording_id, speaker, start_s, end_s, text, avg_logprob) "
            "VALUES (1, 'agent', 0.5, 1.5, '您好', -0.5), (1, 'callee', 2.0, 3.0, '喂', NULL)"
        )
    assert upgrade(engine) == ("0004", head_revision())
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT text, confidence, alternatives FROM utterance ORDER BY start_s"
        ).all()
    assert rows[0][0] == "您好" and rows[0][1] == pytest.approx(math.exp(-0.5))
    assert rows[1][1:] == (None, None) and rows[0][2] is None
    engine.dispose()
