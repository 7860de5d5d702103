"""Shared fixtures. ``db_url`` runs a test once on SQLite and once on PostgreSQL,
each time in a fresh database copied from a migrated template."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

import console.users
from store.db import SessionFactory, make_engine, make_session_factory
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE_CASES = ROOT / "config" / "samples" / "cases.csv"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# every Asterisk a test starts, the test stops; one Chromium per browser-test module
pytest_plugins = ["tests.leakguard", "tests.browser"]


@pytest.fixture(autouse=True, scope="session")
def cheap_password_hashes() -> Iterator[None]:
    """Real argon2id at its lowest cost: the shipped cost (64 MiB, 3 passes) takes ~0.2 s a
    hash here and most tests seed a handful of users; the code paths are the same, only the
    parameters in the stored hash differ."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            console.users, "_HASHER", PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
        )
        yield


def postgres_admin_url() -> str:
    return os.environ.get("CALLWARDEN_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _with_database(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated template database; a PostgreSQL that does not answer fails the run."""
    admin = postgres_admin_url()
    name = f"cw_tpl_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(_with_database(admin, name))
    upgrade(engine)
    engine.dispose()
    yield name
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database of each backend."""
    if request.param == "sqlite":
        target = tmp_path / "callwarden.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    template = request.getfixturevalue("postgres_template")
    admin = postgres_admin_url()
    name = f"cw_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_database(admin, name)
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> SessionFactory:
    return make_session_factory(engine)
