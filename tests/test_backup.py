"""``callwarden backup``, ``backup check`` and ``restore`` with the real restic (Debian's, from
``scripts/ensure-restic.sh``) on both databases: a seeded store with a sealed archive is
backed up to two repositories, destroyed, restored and verified; a pack file corrupted in
one repository is found by ``backup check``, and the restore comes from the other."""

from __future__ import annotations

import importlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from config import Settings, load_settings
from console.app import App, build_app
from console.backup import BackupError, Manifest, verify_restored
from console.backup.database import pg_counts, sqlite_counts
from store.models import AuditLog, Recording
from tests.conftest import ROOT, postgres_admin_url
from tests.restoring import assert_no_master_key, cli, destroy, evidence, restore_drill
from tests.webdata import seed_console

RESTIC = ROOT / "var" / "tools" / "restic"
CALL_IDS = ["cw01", "cw11"]  # cw11 has a threat: a flag to give a verdict on
pytestmark = pytest.mark.slow


@pytest.fixture
def installation(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """A seeded installation with the defaults (recordings sealed under the master key it
    made in var/, two repositories, initialised), its settings in the environment as the
    commands read them."""
    if not RESTIC.is_file():
        pytest.fail(f"{RESTIC} is missing: run scripts/ensure-restic.sh (make services does)")
    values = {
        "CALLWARDEN_DATABASE_URL": db_url,
        "CALLWARDEN_PATHS_VAR_DIR": str(tmp_path / "var"),
        "CALLWARDEN_BACKUP_RESTIC": str(RESTIC),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    for name in ("CALLWARDEN_CONFIG", "CALLWARDEN_MASTER_KEY", "CALLWARDEN_ARCHIVE_ENCRYPT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    app = build_app(load_settings())
    seed_console(app, CALL_IDS)
    assert app.paths.master_key.is_file()
    assert cli("backup", "init")[0] == 0
    yield app
    app.engine.dispose()


def _sqlite_file(url: str) -> Path:
    return Path(make_url(url).database or "")


def _counts(settings: Settings) -> dict[str, int]:
    url = settings.database_url()
    if url.startswith("sqlite"):
        conn = sqlite3.connect(_sqlite_file(url))
        try:
            return sqlite_counts(conn)
        finally:
            conn.close()
    with psycopg.connect(url.replace("+psycopg", "")) as pg:
        return pg_counts(pg)


def _lines(text: str) -> dict[str, str]:
    return {line.split(":")[0]: line for line in text.splitlines() if ":" in line}


def test_backup_destroy_restore_verifies_counts_hashes_and_the_audit_head(
    installation: App, tmp_path: Path
) -> None:
    app = installation
    with app.reads() as session:
        hashes = {r.id: r.sha256 for r in session.scalars(select(Recording))}
        audit_rows = len(session.scalars(select(AuditLog.id)).all())
    assert len(hashes) == len(CALL_IDS)
    assert all(p.suffix in {".cwa", ".key"} for p in app.paths.recordings.rglob("*.*"))
    before = _counts(app.settings)

    code, out = cli("backup")
    assert code == 0, out
    records = list((app.paths.backup / "records").glob("*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text(encoding="utf-8"))
    assert set(record["snapshots"]) == {"a", "b"} and record["failed"] == {}
    assert not (app.paths.backup / "staging").exists()
    with app.reads() as session:
        done = session.scalars(select(AuditLog).where(AuditLog.action == "backup.done")).one()
    assert done.object_id == record["label"] and done.detail["snapshots"] == record["snapshots"]
    # the head recorded is the last row the backed-up copy held: the one before backup.done
    assert record["audit_head"].split(":")[0] == str(audit_rows)

    destroy(app)
    target = tmp_path / "restored"
    code, out = cli("restore", record["label"], str(target))
    assert code == 0, out
    found = _lines(out)
    assert "ok" in found["database"] and "ok" in found["rows"]
    assert f"{len(hashes)} recording(s)" in found["recordings"]
    assert f"{audit_rows} row(s) chained" in found["audit"]
    manifest = Manifest.read(target)
    assert manifest.counts == before and manifest.audit_head == record["audit_head"]
    restored = {p.stem: p for p in (target / "recordings").rglob("*.cwa")}
    assert set(restored) == set(hashes.values())
    assert_no_master_key(app, target)

    # a changed byte in one restored recording: the check names it and fails
    sealed = next(iter(restored.values()))
    sealed.chmod(0o600)
    data = bytearray(sealed.read_bytes())
    data[-5] ^= 0xFF
    sealed.write_bytes(bytes(data))
    checks = {
        c.name: c
        for c in verify_restored(target, manifest, app.settings.database_url(), app.master_keys())
    }
    assert not checks["recordings"].ok and "1 of 2 failed" in checks["recordings"].detail
    assert checks["audit"].ok


def test_restore_refuses_a_folder_that_is_not_empty(installation: App, tmp_path: Path) -> None:
    assert cli("backup")[0] == 0
    target = tmp_path / "busy"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    code, _ = cli("restore", "latest", str(target))
    assert code == 1
    assert [p.name for p in target.iterdir()] == ["keep.txt"]


def _largest_pack(repo: Path) -> Path:
    return max(
        (p for p in (repo / "data").rglob("*") if p.is_file()), key=lambda p: p.stat().st_size
    )


def test_a_corrupted_pack_is_found_and_the_restore_comes_from_the_other_repository(
    installation: App, tmp_path: Path
) -> None:
    app = installation
    assert cli("backup")[0] == 0
    assert cli("backup", "check")[0] == 0
    pack = _largest_pack(app.paths.backup / "a")
    pack.chmod(0o600)
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF
    pack.write_bytes(bytes(data))

    code, out = cli("backup", "check")
    assert code == 1
    found = _lines(out)
    assert "FAILED" in found["a"] and "ok" in found["b"]

    destroy(app)
    code, out = cli("restore", "latest", str(tmp_path / "restored"))
    assert code == 0, out
    assert "a: 跳过 / skipped" in out and "from b" in out
    assert "FAILED" not in out


def test_into_service_puts_back_every_call_recording_flag_verdict_and_audit_row(
    installation: App, tmp_path: Path
) -> None:
    out = restore_drill(installation, tmp_path / "restored")
    assert "recordings: 4 file(s)" in out  # two sealed recordings and their keys


def test_into_service_refuses_a_database_or_archive_that_is_not_empty(
    installation: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = installation
    assert cli("backup")[0] == 0
    before = evidence(app)
    recordings = sorted((p, p.stat().st_mtime_ns) for p in app.paths.recordings.rglob("*"))
    code, out = cli("restore", "latest", str(tmp_path / "restored"), "--into-service")
    said = capsys.readouterr().err
    assert code != 0 and "put back" not in out
    assert "table(s)" in said and f"the archive {app.paths.recordings} holds files" in said
    assert evidence(app) == before
    assert sorted((p, p.stat().st_mtime_ns) for p in app.paths.recordings.rglob("*")) == recordings


def test_into_service_that_cannot_put_the_database_back_leaves_no_half_archive(
    installation: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = installation
    assert cli("backup")[0] == 0
    url = app.settings.database_url()
    destroy(app)
    if url.startswith("sqlite"):  # a folder where the database file goes: it cannot be put
        _sqlite_file(url).mkdir()
        said = "cannot put the database"
    else:  # no table, but a leftover the dump makes too: pg_restore stops, all or nothing
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("CREATE SEQUENCE recording_id_seq")
        said = "pg_restore failed"
    code, out = cli("restore", "latest", str(tmp_path / "restored"), "--into-service")
    assert code != 0 and "put back" not in out
    # the copy itself was checked, even with the configured database unusable
    assert "FAILED" not in out and "audit: 通过 / ok" in out
    assert said in capsys.readouterr().err
    recordings = app.paths.recordings
    assert not any(p.is_file() for p in recordings.rglob("*"))
    assert not recordings.with_name(recordings.name + ".restoring").exists()


def _drop_database(url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(postgres_admin_url().replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def test_into_service_creates_the_configured_database_when_it_is_gone(
    installation: App, tmp_path: Path
) -> None:
    # A lost server: the database itself is gone, not just emptied. It was refused ("create it
    # empty first"); it is created through the maintenance database, then restored into.
    # (SQLite creates its file anyway: there the database file is gone with its folder.)
    app = installation
    assert cli("backup")[0] == 0
    before = evidence(app)
    url = app.settings.database_url()
    destroy(app)
    if url.startswith("sqlite"):
        _sqlite_file(url).parent.joinpath("callwarden.db-wal").unlink(missing_ok=True)
    else:
        _drop_database(url)
    code, out = cli("restore", "latest", str(tmp_path / "restored"), "--into-service")
    assert code == 0, out
    assert "checked again in service" in out and "FAILED" not in out
    if not url.startswith("sqlite"):
        assert "(created: it was missing)" in out
    after = evidence(app)
    assert {k: v for k, v in after.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_a_failed_restore_into_a_database_it_created_drops_it_again(
    installation: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL only: SQLite has no server to create a database on."""
    app = installation
    url = app.settings.database_url()
    assert cli("backup")[0] == 0
    destroy(app)
    _drop_database(url)

    def fails(_parsed: object, _dump: Path) -> None:
        raise BackupError("pg_restore failed (exit 1): a disk filled up")

    # the module, not the package's re-exported function of the same name
    monkeypatch.setattr(importlib.import_module("console.backup.reinstate"), "restore_dump", fails)
    code, out = cli("restore", "latest", str(tmp_path / "restored"), "--into-service")
    assert code != 0 and "put back" not in out
    name = make_url(url).database
    with psycopg.connect(postgres_admin_url().replace("+psycopg", "")) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    assert found is None


def test_backup_names_each_damaged_recording_and_the_restore_tells_old_damage_from_new(
    installation: App, tmp_path: Path
) -> None:
    app = installation
    with app.reads() as session:
        rows = session.execute(select(Recording.id, Recording.path).order_by(Recording.id)).all()
    (edited_id, edited), (later_id, later) = rows
    edited_path = Path(edited)
    edited_path.chmod(0o600)
    data = bytearray(edited_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    edited_path.write_bytes(bytes(data))

    code, out = cli("backup")
    assert code == 1, out  # loud: exit 1, and the file named by recording and name
    assert f"recording {edited_id} ({edited_path.name}): altered" in out
    assert "a: 快照 / snapshot" in out and "b: 快照 / snapshot" in out  # still written
    record = json.loads(next((app.paths.backup / "records").glob("*.json")).read_text())
    assert [d["recording_id"] for d in record["damaged"]] == [edited_id]
    with app.reads() as session:
        tampered = session.scalars(
            select(AuditLog).where(AuditLog.action == "recording.integrity_failed")
        ).one()
    assert tampered.object_id == str(edited_id) and tampered.detail["found_by"] == "backup"

    target = tmp_path / "restored"
    code, out = cli("restore", "latest", str(target))
    assert code == 1
    found = _lines(out)["recordings"]
    assert "FAILED" in found and f"already damaged when backup {record['label']}" in found
    assert "damaged since" not in found
    later_copy = next((target / "recordings").rglob(Path(later).name))
    later_copy.chmod(0o600)
    later_copy.write_bytes(later_copy.read_bytes()[:-3])
    manifest = Manifest.read(target)
    checks = {
        c.name: c
        for c in verify_restored(target, manifest, app.settings.database_url(), app.master_keys())
    }
    detail = checks["recordings"].detail
    assert f"1 damaged since the backup (备份后损坏): recording {later_id}" in detail
    assert f"备份时已损坏: recording {edited_id}" in detail


def test_a_restore_folder_inside_the_archive_or_its_staging_place_is_refused(
    installation: App, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Restoring into <archive>.restoring with --into-service: the put-back cleared its staging
    # place first, i.e. the checked copy itself, then failed on the database it had deleted.
    # Restoring under the archive put a copy of the database (and settings) among the
    # recordings, where the next backup took it along.
    app = installation
    assert cli("backup")[0] == 0
    recordings = app.paths.recordings
    destroy(app)
    for target in (recordings.with_name(recordings.name + ".restoring"), recordings / "r"):
        code, out = cli("restore", "latest", str(target), "--into-service")
        assert code != 0 and "put back" not in out
        assert "may not lie" in capsys.readouterr().err
        assert not target.exists()
    assert not any(p.is_file() for p in recordings.rglob("*"))
    code, out = cli("restore", "latest", str(tmp_path / "restored"), "--into-service")
    assert code == 0, out
