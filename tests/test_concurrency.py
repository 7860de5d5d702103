"""The console and the importer under concurrency, on SQLite and PostgreSQL.

Real HTTP through a real uvicorn on loopback, many requests at once; imports in real
processes. Nothing here is timed: each test asserts what every request got and what
the database holds afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path

import argon2
import httpx
import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.casegen import case_rows, write
from config import Settings
from config.settings import DatabaseSettings, PathSettings
from console.app import build_app
from store.case_import import import_cases
from store.case_import.load import CaseLoader
from store.models import AuditLog, Case, Flag, Person, ReviewVerdict
from tests.conftest import ROOT
from tests.liveserver import live_console, logged_in, login_form, post_login
from tests.webdata import PASSWORD, Seed, seed_console


def _app(db_url: str, var: Path, busy_timeout_s: float = 30.0) -> Seed:
    settings = Settings(
        database=DatabaseSettings(url=db_url, busy_timeout_s=busy_timeout_s),
        paths=PathSettings(var_dir=var),
    )
    return seed_console(build_app(settings), ["cw07"])


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    seeded = _app(db_url, tmp_path / "var")
    yield seeded
    seeded.app.engine.dispose()


def _at_once(jobs: list[Callable[[], int]]) -> list[int]:
    """Run every job in its own thread, released together."""
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], int]) -> int:
        start.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _count(seed: Seed, model: type, *where: object) -> int:
    with seed.app.reads() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _flag_id(seed: Seed) -> int:
    with seed.app.reads() as session:
        found = session.scalars(select(Flag.id).order_by(Flag.id)).first()
    assert found is not None
    return found


def test_simultaneous_logins_and_verdicts_all_succeed(seed: Seed) -> None:
    with live_console(seed.app) as base:

        def log_in(name: str) -> int:
            with httpx.Client(base_url=base, timeout=120) as client:
                return post_login(client, login_form(client), name, PASSWORD).status_code

        names = ["qa1", "admin1", "agent1", "agent2"] * 2
        assert _at_once([lambda n=n: log_in(n) for n in names]) == [303] * len(names)
        qa, token = logged_in(base, "qa1")
        flag = _flag_id(seed)

        def verdict(i: int) -> int:
            data = {"verdict": "suggestion", "note": f"第{i}条", "csrf": token}
            return qa.post(f"/qa/flags/{flag}/verdict", data=data).status_code

        replies = _at_once([lambda i=i: verdict(i) for i in range(6)])
        qa.close()
        assert replies == [303] * 6
    assert _count(seed, ReviewVerdict) == 6


def test_parallel_wrong_passwords_check_at_most_the_limit(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = []
    real_verify = argon2.PasswordHasher.verify

    def counted(self: argon2.PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        checks.append(1)
        return real_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counted)
    limit = seed.app.settings.console.login_attempts
    with live_console(seed.app) as base:

        def wrong(i: int) -> int:
            with httpx.Client(base_url=base, timeout=120) as client:
                token = login_form(client)
                return post_login(client, token, "agent1", f"wrong-{i}").status_code

        replies = _at_once([lambda i=i: wrong(i) for i in range(40)])
        assert set(replies) <= {401, 429}, replies
        assert len(checks) <= limit
        assert replies.count(401) == len(checks)
        # The limit is spent: even the right password is refused now.
        with httpx.Client(base_url=base, timeout=120) as client:
            assert post_login(client, login_form(client), "agent1", PASSWORD).status_code == 429
    assert _count(seed, AuditLog, AuditLog.action == "login.failed") == len(checks)


@contextmanager
def _write_lock_held(db_url: str, flag_id: int) -> Iterator[None]:
    """Another connection holds SQLite's write lock, or (PostgreSQL) the rows of a flag and of
    every case: what a verdict and an import of known cases need."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE flag SET evidence = evidence WHERE id = ?", (flag_id,))
    else:
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(libpq)  # type: ignore[assignment]
        conn.execute("SELECT id FROM flag WHERE id = %s FOR UPDATE", (flag_id,))
        conn.execute("SELECT id FROM collection_case FOR UPDATE")
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def test_pages_are_read_while_a_writer_holds_the_lock_and_a_write_gets_503(
    db_url: str, tmp_path: Path
) -> None:
    seed = _app(db_url, tmp_path / "var", busy_timeout_s=0.3)
    flag = _flag_id(seed)
    with live_console(seed.app) as base:
        qa, token = logged_in(base, "qa1")
        admin, _ = logged_in(base, "admin1")
        agent, _ = logged_in(base, "agent1")
        with _write_lock_held(db_url, flag):
            assert agent.get("/agent").status_code == 200
            assert admin.get("/admin/preview").status_code == 200
            assert qa.get("/qa").status_code == 200
            assert qa.get(f"/qa/calls/{seed.recordings['cw07']}").status_code == 200
            data = {"verdict": "penalty", "note": "n", "csrf": token}
            busy = qa.post(f"/qa/flags/{flag}/verdict", data=data)
            assert busy.status_code == 503
            assert "数据库" in busy.text  # the reader's language (Chinese by default)
            assert busy.headers["retry-after"]
            assert "content-security-policy" in busy.headers
            assert _count(seed, ReviewVerdict) == 0
            assert _count(seed, AuditLog, AuditLog.action == "qa.verdict") == 0
        assert qa.post(f"/qa/flags/{flag}/verdict", data=data).status_code == 303
        for client in (qa, admin, agent):
            client.close()
    assert _count(seed, ReviewVerdict) == 1
    seed.app.engine.dispose()


def _case_file(path: Path, first: int, count: int) -> Path:
    rows = list(case_rows(first + count))[first:]
    write(path, iter(rows), "utf-8", chinese=False)
    return path


def _accounts(seed: Seed) -> set[str]:
    with seed.app.reads() as session:
        return set(session.scalars(select(Case.account_no)))


def _imports(seed: Seed) -> int:
    return _count(seed, AuditLog, AuditLog.action == "cases.import")


def test_two_import_processes_at_once_both_finish(seed: Seed, db_url: str, tmp_path: Path) -> None:
    # Two files that share 1,500 debtors and cases, imported by two processes at once.
    files = [_case_file(tmp_path / "a.csv", 0, 3000), _case_file(tmp_path / "b.csv", 1500, 3000)]
    expected = _accounts(seed) | {r["account_no"] for r in case_rows(4500)}
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CALLWARDEN_DATABASE_URL": db_url,
        "CALLWARDEN_PATHS_VAR_DIR": str(tmp_path / "var"),
    }
    imports = _imports(seed)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "console.cli", "import", "cases", str(f)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outputs = [p.communicate() for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "imported 3000 case row(s)" in out
        assert "Traceback" not in err
    assert _accounts(seed) == expected
    assert _imports(seed) == imports + 2
    with seed.app.reads() as session:
        listed = list(
            session.scalars(select(Person.resident_id).where(Person.resident_id.is_not(None)))
        )
    assert len(listed) == len(set(listed))


def test_two_imports_whose_transactions_overlap_both_finish(
    seed: Seed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each import waits, once it starts writing, until the other has started too (or for
    # a few seconds, when an import lock keeps the other out): their transactions overlap.
    files = [_case_file(tmp_path / "a.csv", 0, 400), _case_file(tmp_path / "b.csv", 200, 400)]
    expected = _accounts(seed) | {r["account_no"] for r in case_rows(600)}
    meet = threading.Barrier(2)
    real_load = CaseLoader.load

    def load(self: CaseLoader, batch: list[object]) -> None:
        if not getattr(self, "met", False):
            self.met = True  # type: ignore[attr-defined]
            with suppress(threading.BrokenBarrierError):
                meet.wait(timeout=3)
        real_load(self, batch)  # type: ignore[arg-type]

    monkeypatch.setattr(CaseLoader, "load", load)
    imports = _imports(seed)
    results: list[object] = []

    def run(path: Path) -> None:
        try:
            results.append(import_cases(path, seed.app.sessions, "test"))
        except Exception as exc:
            results.append(exc)

    workers = [threading.Thread(target=run, args=(f,)) for f in files]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not [r for r in results if isinstance(r, Exception)], results
    assert _accounts(seed) == expected
    assert _imports(seed) == imports + 2


def test_an_import_waits_for_a_lock_that_outlasts_the_busy_timeout(
    db_url: str, tmp_path: Path
) -> None:
    seed = _app(db_url, tmp_path / "var", busy_timeout_s=0.2)
    imports = _imports(seed)
    path = _case_file(tmp_path / "cases.csv", 0, 200)
    lines: list[str] = []
    results: list[object] = []

    def run() -> None:
        try:
            results.append(import_cases(path, seed.app.sessions, "test", lines.append))
        except Exception as exc:
            results.append(exc)

    with _write_lock_held(db_url, _flag_id(seed)):
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(1.0)  # well past the busy timeout, while the lock is still held
    worker.join()
    assert len(results) == 1 and not isinstance(results[0], Exception), results
    assert _imports(seed) == imports + 1
    seed.app.engine.dispose()
