"""The audit log's hash chain on both databases: every kind of tampering is named by ``audit
verify``, a consistent rewrite of the whole chain only against a head stored earlier,
concurrent appenders never fork it, and the migration chains the rows already there."""

from __future__ import annotations

import io
import multiprocessing
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from console.cli import main
from store.audit import chain_head, chain_rows, record_audit, verify
from store.audit_chain import (
    GENESIS,
    ChainRow,
    Head,
    HeadFormatError,
    canonical_form,
    chain_hash,
    parse_head,
)
from store.db import SessionFactory, make_engine, make_read_session_factory, make_session_factory
from store.migrate import head_revision, upgrade
from tests.conftest import ROOT, _libpq, _with_database, postgres_admin_url

SPEC = ROOT / "docs" / "audit-chain.md"


def test_the_spec_vectors_are_what_the_code_hashes() -> None:
    """docs/audit-chain.md is what other tools implement: its vectors must be ours."""
    spec = SPEC.read_text(encoding="utf-8")
    first = ChainRow(
        id=1,
        at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        actor="admin",
        action="hold.placed",
        object_type="case",
        object_id="42",
        detail={"reason": "投诉倾向", "flag_id": 7, "x": [1.5, None, True], "q": 'a"b\n'},
    )
    second = ChainRow(
        id=3,
        at=datetime(2026, 12, 1, 2, 0, 1, 250000, tzinfo=UTC),
        actor="qa1",
        action="recording.play",
        object_type="recording",
        object_id="9",
        detail={},
    )
    digest = chain_hash(first, 1, GENESIS)
    for row, seq, prev in ((first, 1, GENESIS), (second, 2, digest)):
        form = canonical_form(row, seq, prev)
        assert form.startswith(b"callwarden-audit-chain\n")
        assert form.split(b"\n", 1)[1].decode("utf-8") in spec
        assert f"`chain_hash` = `{chain_hash(row, seq, prev)}`" in spec


def test_a_head_is_id_colon_hash() -> None:
    head = parse_head(f" 12:{'AB' * 32}\n")
    assert head == Head(12, "ab" * 32) and str(head) == f"12:{'ab' * 32}"
    for bad in ("12", "x:" + "a" * 64, "12:" + "a" * 63, "12:" + "g" * 64):
        with pytest.raises(HeadFormatError):
            parse_head(bad)


def _append(sessions: SessionFactory, count: int, actor: str = "admin") -> None:
    for i in range(count):
        with sessions.begin() as session:
            record_audit(
                session,
                actor,
                "test.append",
                object_type="case",
                object_id=str(i),
                detail={"i": i, "note": "备注 ✓", "nested": {"b": [1, 2.5, None], "a": True}},
            )


def _sql(engine: Engine, *statements: str) -> None:
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


@pytest.fixture
def chained(engine: Engine, sessions: SessionFactory) -> SessionFactory:
    """Ten audit rows, ids 1..10; returns the read sessions to verify them with."""
    _append(sessions, 10)
    return make_read_session_factory(engine)


def test_a_clean_chain_passes(chained: SessionFactory) -> None:
    verdict = verify(chained)
    assert verdict.broken is None and verdict.rows == 10
    assert verdict.head == chain_head(chained) and verdict.head.id == 10
    assert verify(chained, verdict.head).broken is None


def test_a_rolled_back_append_leaves_no_hole(engine: Engine, sessions: SessionFactory) -> None:
    _append(sessions, 2)
    with pytest.raises(RuntimeError), sessions.begin() as session:
        record_audit(session, "admin", "test.rolled_back")
        raise RuntimeError
    with sessions.begin() as session:  # a savepoint refused, then the change that went through
        with pytest.raises(RuntimeError), session.begin_nested():
            record_audit(session, "admin", "test.refused")
            raise RuntimeError
        record_audit(session, "admin", "test.kept")
        record_audit(session, "admin", "test.kept.too")
    verdict = verify(make_read_session_factory(engine))
    assert verdict.broken is None and verdict.rows == 4


def test_an_edited_row_is_named(engine: Engine, chained: SessionFactory) -> None:
    _sql(engine, "UPDATE audit_log SET actor = 'mallory' WHERE id = 4")
    broken = verify(chained).broken
    assert broken is not None and broken.row_id == 4
    assert "row 4: content changed" in str(broken) and "第 4 行" in str(broken)


def test_an_edited_detail_is_named(engine: Engine, chained: SessionFactory) -> None:
    _sql(engine, """UPDATE audit_log SET detail = '{"i": 7}' WHERE id = 7""")
    assert "row 7: content changed" in str(verify(chained).broken)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ("detail = 'not json'", "detail"),
        ("detail = X'FF00'", "detail"),
        ("at = 'yesterday'", "at"),
        ("chain_seq = 'abc'", "chain_seq"),
    ],
)
def test_a_row_edited_past_reading_is_named_with_its_field(
    engine: Engine, chained: SessionFactory, edit: str, field: str
) -> None:
    # Such an edit once stopped `audit verify` with an internal error (exit 5) naming no row.
    if engine.dialect.name != "sqlite":
        # PostgreSQL's column types refuse most of these edits; one it takes is still named.
        try:
            _sql(engine, f"UPDATE audit_log SET {edit} WHERE id = 6")
        except DBAPIError:
            assert verify(chained).broken is None
        else:
            assert "row 6:" in str(verify(chained).broken)
        return
    _sql(engine, f"UPDATE audit_log SET {edit} WHERE id = 6")
    verdict = verify(chained)
    assert verdict.broken is not None and verdict.broken.row_id == 6
    assert f"row 6: unreadable ({field}:" in str(verdict.broken)
    assert "第 6 行" in str(verdict.broken)
    assert verdict.rows == 5 and verdict.head.id == 5


@pytest.mark.parametrize("value", ['{"a": NaN}', '{"a": 1e400}', '{"a": -Infinity}'])
def test_a_detail_edited_to_a_number_json_cannot_write_is_named(
    engine: Engine, chained: SessionFactory, value: str
) -> None:
    # Python's JSON reader takes NaN, Infinity and 1e400 (as inf), the canonical form refuses
    # them: `audit verify` stopped with an internal error (ValueError) naming no row.
    try:
        _sql(engine, f"UPDATE audit_log SET detail = '{value}' WHERE id = 6")
    except DBAPIError:  # PostgreSQL's jsonb refuses NaN and Infinity (not 1e400)
        assert engine.dialect.name != "sqlite"
        return
    verdict = verify(chained)
    assert verdict.broken is not None and verdict.broken.row_id == 6
    assert "row 6: content changed" in str(verdict.broken)
    assert verdict.rows == 5 and verdict.head.id == 5


def test_a_deleted_row_is_named(engine: Engine, chained: SessionFactory) -> None:
    _sql(engine, "DELETE FROM audit_log WHERE id = 5")
    verdict = verify(chained)
    assert "row 6: 1 row(s) missing after row 4" in str(verdict.broken)
    assert verdict.rows == 4 and verdict.head.id == 4


def test_deleted_first_rows_are_named(engine: Engine, chained: SessionFactory) -> None:
    _sql(engine, "DELETE FROM audit_log WHERE id <= 2")
    assert "row 3: 2 row(s) missing after the start" in str(verify(chained).broken)


def test_swapped_rows_are_named(engine: Engine, chained: SessionFactory) -> None:
    _sql(
        engine,
        "UPDATE audit_log SET id = 1000 WHERE id = 3",
        "UPDATE audit_log SET id = 3 WHERE id = 8",
        "UPDATE audit_log SET id = 8 WHERE id = 1000",
    )
    assert "row 3: out of order (chain position 8 where 3 belongs)" in str(verify(chained).broken)


def test_swapped_neighbours_are_named(engine: Engine, chained: SessionFactory) -> None:
    _sql(
        engine,
        "UPDATE audit_log SET id = 1000 WHERE id = 5",
        "UPDATE audit_log SET id = 5 WHERE id = 6",
        "UPDATE audit_log SET id = 6 WHERE id = 1000",
    )
    assert "row 5: out of order" in str(verify(chained).broken)


def _rehash(engine: Engine, reads: SessionFactory, start: int) -> None:
    """What an attacker with the spec does: recompute every hash from row ``start`` on."""
    prev = GENESIS
    with engine.begin() as conn:
        for row in chain_rows(reads):
            if row.id >= start:
                digest = chain_hash(row, row.chain_seq or 0, prev)
                conn.execute(
                    text("UPDATE audit_log SET chain_prev = :p, chain_hash = :h WHERE id = :i"),
                    {"p": prev, "h": digest, "i": row.id},
                )
                prev = digest
            else:
                prev = row.chain_hash or ""


def test_one_row_edited_and_rehashed_is_named(engine: Engine, chained: SessionFactory) -> None:
    _sql(engine, "UPDATE audit_log SET object_id = 'x' WHERE id = 6")
    with engine.begin() as conn:  # re-hash row 6 alone: row 7 still links to its old hash
        row = next(r for r in chain_rows(chained) if r.id == 6)
        digest = chain_hash(row, 6, row.chain_prev or "")
        conn.execute(text("UPDATE audit_log SET chain_hash = :h WHERE id = 6"), {"h": digest})
    broken = verify(chained).broken
    assert broken is not None and broken.row_id == 6
    assert "row 6: content changed and re-hashed (row 7 links to its old hash)" in str(broken)


def test_a_rewritten_chain_is_caught_only_against_a_stored_head(
    engine: Engine, chained: SessionFactory
) -> None:
    stored = chain_head(chained)
    _sql(engine, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    _rehash(engine, chained, 3)
    assert verify(chained).broken is None  # consistent: the chain alone cannot tell
    broken = verify(chained, stored).broken
    assert broken is not None and broken.row_id == stored.id
    assert "hash differs from the head stored earlier" in str(broken)


def test_a_cut_tail_is_caught_against_a_stored_head(
    engine: Engine, sessions: SessionFactory, chained: SessionFactory
) -> None:
    stored = chain_head(chained)
    _sql(engine, "DELETE FROM audit_log WHERE id >= 9")
    assert verify(chained).broken is None
    assert "row 10 (the head stored earlier) missing after row 8" in str(
        verify(chained, stored).broken
    )
    _append(sessions, 3)  # the chain grows over the cut (SQLite reuses id 10, PostgreSQL not)
    broken = verify(chained, stored).broken
    assert broken is not None and broken.row_id == 10


def test_a_head_stored_earlier_still_holds_as_the_chain_grows(
    sessions: SessionFactory, chained: SessionFactory
) -> None:
    stored = chain_head(chained)
    _append(sessions, 5)
    verdict = verify(chained, stored)
    assert verdict.broken is None and verdict.rows == 15


def test_an_empty_chain_verifies(engine: Engine) -> None:
    reads = make_read_session_factory(engine)
    assert str(chain_head(reads)) == f"0:{GENESIS}"
    assert verify(reads, chain_head(reads)).broken is None
    assert "row 3 (the head stored earlier) missing" in str(verify(reads, Head(3, GENESIS)).broken)


def test_verify_pages_through_the_table(engine: Engine, sessions: SessionFactory) -> None:
    _append(sessions, 7)
    reads = make_read_session_factory(engine)
    assert [r.id for r in chain_rows(reads, page=3)] == list(range(1, 8))


# -- several processes appending at once -------------------------------------------------


def _appender(url: str, worker: int, count: int) -> None:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    for i in range(count):
        try:
            with sessions.begin() as session:
                record_audit(session, f"w{worker}", "test.race", detail={"i": i})
                if i % 7 == 3:
                    raise LookupError  # a change that fails: its audit row goes with it
        except LookupError:
            pass
    engine.dispose()


def test_concurrent_appenders_never_fork_the_chain(db_url: str, engine: Engine) -> None:
    workers, each = 4, 30
    spawn = multiprocessing.get_context("spawn")
    procs = [spawn.Process(target=_appender, args=(db_url, w, each)) for w in range(workers)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
    assert [proc.exitcode for proc in procs] == [0] * workers
    verdict = verify(make_read_session_factory(engine))
    failed = len([i for i in range(each) if i % 7 == 3])
    assert verdict.broken is None
    assert verdict.rows == workers * (each - failed)


# -- the migration chains the rows already there -----------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    admin, name = postgres_admin_url(), f"cw_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield _with_database(admin, name)
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_chains_existing_rows_in_id_order(empty_url: str) -> None:
    engine = make_engine(empty_url)
    cfg = Config()
    cfg.set_main_option("script_location", "store:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008_kept_schedule")
    insert = (
        "INSERT INTO audit_log (id, at, actor, action, object_type, object_id, detail) VALUES "
        "({}, '2026-11-2{} 08:00:00.123456', 'admin', 'cases.import', 'file', 'ab', '{}')"
    )
    _sql(
        engine,
        insert.format(7, 4, '{"file": "甲.csv", "rows": 3}'),
        insert.format(2, 3, "{}"),
        insert.format(4, 5, '{"x": [1.5, null]}'),
    )
    assert upgrade(engine) == ("0008_kept_schedule", head_revision())
    reads = make_read_session_factory(engine)
    assert [(r.id, r.chain_seq) for r in chain_rows(reads)] == [(2, 1), (4, 2), (7, 3)]
    _append(make_session_factory(engine), 2)
    verdict = verify(reads)
    assert verdict.broken is None and verdict.rows == 5 and verdict.head.id > 7
    engine.dispose()


# -- the commands --------------------------------------------------------------------------


def test_the_commands(
    db_url: str,
    engine: Engine,
    chained: SessionFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", db_url)
    out = io.StringIO()
    assert main(["audit", "head"], out) == 0
    head = out.getvalue().strip()
    assert head == str(chain_head(chained))
    out = io.StringIO()
    assert main(["audit", "verify", "--expect-head", head], out) == 0
    assert "audit chain intact: 10 row(s)" in out.getvalue()
    _sql(engine, "DELETE FROM audit_log WHERE id = 2")
    out = io.StringIO()
    assert main(["audit", "verify"], out) == 1
    assert "row 3: 1 row(s) missing after row 1" in out.getvalue()
    assert main(["audit", "verify", "--expect-head", "12:zz"], io.StringIO()) == 2
    assert "--expect-head" in capsys.readouterr().err
