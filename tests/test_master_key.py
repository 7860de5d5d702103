"""Recordings are sealed by default (issue 21): with no master key configured, a fresh
installation makes one in ``var/master.key`` (0600, made at once, audited, never replaced),
and refuses, rather than replaces, one that is there but unusable, or a missing one whose
archive already holds sealed recordings. A clear archive from before still plays, and an
admin may still turn sealing off. On both databases where a database is involved."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from config import Settings
from config.settings import ArchiveSettings, DatabaseSettings, PathSettings
from console.app import App, build_app
from recorder.errors import KeyProblem
from recorder.intake import CallMetadata
from recorder.keys import MASTER_KEY_ENV, read_key_file, write_key_file
from recorder.master_key import find_keys, provision
from store.models import AuditLog, Recording
from tests.test_cli import run
from tests.test_pipeline import CALLS


def _app(db_url: str, var: Path, encrypt: bool | None = None) -> App:
    archive = ArchiveSettings() if encrypt is None else ArchiveSettings(encrypt=encrypt)
    return build_app(
        Settings(
            database=DatabaseSettings(url=db_url),
            paths=PathSettings(var_dir=var),
            archive=archive,
        )
    )


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)


@pytest.fixture
def fresh(db_url: str, tmp_path: Path) -> Iterator[App]:
    """An installation with the default settings and no master key anywhere."""
    app = _app(db_url, tmp_path / "var")
    yield app
    app.engine.dispose()


def _store(app: App, name: str = "cw01") -> Recording:
    intake = app.store_recording(CALLS / f"{name}.wav", CallMetadata(agent_channel=0))
    with app.reads() as session:
        return session.get_one(Recording, intake.recording_id)


def test_a_fresh_installation_seals_its_first_recording_under_a_key_it_made(fresh: App) -> None:
    assert fresh.settings.archive.encrypt and not fresh.paths.master_key.exists()
    row = _store(fresh)
    assert Path(row.path).suffix == ".cwa"
    key_file = fresh.paths.master_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = read_key_file(key_file)
    with fresh.reads() as session:
        made = session.scalars(select(AuditLog).where(AuditLog.action == "keys.provisioned")).one()
    assert made.detail == {"key_id": key.key_id, "path": str(key_file.absolute())}
    plain = fresh.archive.read_all(Path(row.path), row.sha256)
    assert plain == (CALLS / "cw01.wav").read_bytes()
    # the next process finds it and makes none: one key, one audit row
    again = _app(fresh.settings.database_url(), fresh.paths.root)
    try:
        assert again.ensure_master_key() is None
        assert again.archive.keys is not None and again.archive.keys.current_id == key.key_id
    finally:
        again.engine.dispose()
    with fresh.reads() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "keys.provisioned"))
        assert len(rows.all()) == 1


@pytest.mark.parametrize("damage", ["too-open", "not-a-key", "unreadable", "dangling-link"])
def test_a_key_file_that_is_there_but_unusable_is_refused_never_replaced(
    fresh: App, damage: str
) -> None:
    key_file = fresh.paths.master_key
    key_file.parent.mkdir(parents=True)
    if damage == "dangling-link":
        key_file.symlink_to(key_file.parent / "gone.key")
    elif damage == "unreadable" and os.geteuid() == 0:
        key_file.mkdir(mode=0o700)  # root reads a file of mode 0000: a folder nobody reads
    else:
        key_file.write_text("not base64!\n" if damage == "not-a-key" else "A" * 44 + "\n")
        key_file.chmod({"too-open": 0o644, "not-a-key": 0o600, "unreadable": 0o000}[damage])
    before = _what_is_at(key_file)
    with pytest.raises(KeyProblem):
        _store(fresh)
    assert _what_is_at(key_file) == before
    assert not fresh.paths.recordings.exists() or not any(fresh.paths.recordings.rglob("*.*"))


def _what_is_at(path: Path) -> object:
    if path.is_symlink():
        return os.readlink(path)
    return "folder" if path.is_dir() else path.read_bytes()


def test_no_key_is_made_for_an_archive_that_already_holds_sealed_recordings(
    fresh: App,
) -> None:
    row = _store(fresh)
    fresh.paths.master_key.unlink()  # lost: a new key would not open what is sealed
    again = _app(fresh.settings.database_url(), fresh.paths.root)
    try:
        with pytest.raises(KeyProblem, match="put back the key file"):
            _ = again.archive
        assert not again.paths.master_key.exists()
    finally:
        again.engine.dispose()
    assert Path(row.path).is_file()


def test_an_admin_can_turn_sealing_off(db_url: str, tmp_path: Path) -> None:
    app = _app(db_url, tmp_path / "var", encrypt=False)
    try:
        row = _store(app)
        assert Path(row.path).suffix == ".wav"
        assert not app.paths.master_key.exists()
    finally:
        app.engine.dispose()


def test_a_clear_archive_from_before_still_plays_once_sealing_is_the_default(
    db_url: str, tmp_path: Path
) -> None:
    before = _app(db_url, tmp_path / "var", encrypt=False)  # as an older version kept it
    old = _store(before, "cw01")
    before.engine.dispose()
    now = _app(db_url, tmp_path / "var")  # upgraded: the defaults
    try:
        new = _store(now, "cw02")
        assert (Path(old.path).suffix, Path(new.path).suffix) == (".wav", ".cwa")
        for row, name in ((old, "cw01"), (new, "cw02")):
            plain = now.archive.read_all(Path(row.path), row.sha256)
            assert plain == (CALLS / f"{name}.wav").read_bytes()
    finally:
        now.engine.dispose()


def test_processes_making_the_key_at_once_all_get_the_one_that_was_made(tmp_path: Path) -> None:
    path, archive = tmp_path / "var" / "master.key", tmp_path / "var" / "recordings"
    found: list[str] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait()
        found.append(provision(path, archive)[0].key_id)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(found)) == 1 and found[0] == read_key_file(path).key_id
    assert sorted(p.name for p in path.parent.iterdir()) == ["master.key"]  # no partial left


def test_a_configured_key_comes_before_the_one_callwarden_made(tmp_path: Path) -> None:
    made, _ = provision(tmp_path / "made.key", tmp_path / "recordings")
    other = tmp_path / "admin.key"
    write_key_file(other)
    configured = find_keys(other, (), {}, tmp_path / "made.key")
    assert configured is not None and configured.current_id != made.key_id
    fallback = find_keys(None, (), {}, tmp_path / "made.key")
    assert fallback is not None and fallback.current_id == made.key_id
    assert find_keys(None, (), {}, tmp_path / "none.key") is None


def test_init_on_a_fresh_clone_makes_the_key_and_says_where_to_keep_it(tmp_path: Path) -> None:
    done = run(["init"], tmp_path)
    assert done.returncode == 0, done.stderr
    key_file = tmp_path / "var" / "master.key"
    assert key_file.is_file() and str(key_file) in done.stdout
    assert "apart from the backups" in done.stdout and "与备份分开" in done.stdout
    made = key_file.read_bytes()
    again = run(["init"], tmp_path)
    assert again.returncode == 0 and "master key" not in again.stdout
    assert key_file.read_bytes() == made
