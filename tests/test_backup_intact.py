"""A backup checks every recording it takes against its stored sha256 (issue 21): a file
edited, cut short or removed since it was archived is named, by recording id and file, in
the snapshot's manifest, so a restore can tell damage already there at backup time from
damage since. Staged without restic, on both databases; ``tests/test_backup.py`` runs the
command end to end."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from config import Settings
from config.settings import DatabaseSettings, PathSettings
from console.app import App, build_app
from console.backup import verify_in_service
from console.backup.intact import damaged_recordings
from console.backup.snapshot import Manifest, stage
from recorder.archive import Archive
from recorder.keys import LocalKeys, MasterKey
from store.models import Recording
from tests.webdata import seed_console

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[App]:
    built = build_app(
        Settings(
            database=DatabaseSettings(url=db_url), paths=PathSettings(var_dir=tmp_path / "var")
        )
    )
    seed_console(built, ["cw01", "cw02", "cw11"])
    yield built
    built.engine.dispose()


def _rows(app: App) -> list[tuple[int, str, Path]]:
    with app.reads() as session:
        found = session.execute(
            select(Recording.id, Recording.sha256, Recording.path).order_by(Recording.id)
        ).all()
    return [(ident, sha256, Path(path)) for ident, sha256, path in found]


def _flip_a_byte(path: Path) -> None:
    path.chmod(0o600)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_staged_manifest_names_each_recording_edited_or_missing(
    app: App, tmp_path: Path
) -> None:
    (edited_id, _, edited), (missing_id, _, missing), (_, _, intact) = _rows(app)
    assert edited.suffix == ".cwa"  # sealed by default
    _flip_a_byte(edited)
    missing.unlink()

    manifest = stage(app.backup_sources(), tmp_path / "staging", "L1", AT)

    found = {d.recording_id: d for d in manifest.damaged}
    assert set(found) == {edited_id, missing_id}
    assert found[edited_id].problem == "altered" and found[edited_id].file == edited.name
    assert found[missing_id].problem == "missing" and found[missing_id].file == missing.name
    # what is there is still taken as it is: the snapshot is written whatever it holds
    staged = {p.name for p in (tmp_path / "staging" / "recordings").rglob("*.cwa")}
    assert staged == {edited.name, intact.name}
    assert Manifest.read(tmp_path / "staging").damaged == manifest.damaged


def test_an_intact_archive_stages_with_nothing_damaged(app: App, tmp_path: Path) -> None:
    manifest = stage(app.backup_sources(), tmp_path / "staging", "L1", AT)
    assert manifest.damaged == []


def test_a_key_file_removed_or_a_recording_cut_to_nothing_is_damaged(
    app: App, tmp_path: Path
) -> None:
    (keyless_id, _, keyless), (emptied_id, _, emptied), _ = _rows(app)
    keyless.with_suffix(".key").unlink()
    emptied.chmod(0o600)
    emptied.write_bytes(b"")
    manifest = stage(app.backup_sources(), tmp_path / "staging", "L1", AT)
    assert {(d.recording_id, d.problem) for d in manifest.damaged} == {
        (keyless_id, "altered"),
        (emptied_id, "altered"),
    }


def test_clear_files_edited_or_cut_to_nothing_are_damaged(tmp_path: Path) -> None:
    # a clear archive from before sealing was the default: the same check, by hashing
    root = tmp_path / "recordings"
    archive = Archive(root)
    rows = []
    for ident, body in enumerate((b"RIFF one", b"RIFF two", b"RIFF three"), start=1):
        source = tmp_path / f"{ident}.wav"
        source.write_bytes(body)
        sha256 = hashlib.sha256(body).hexdigest()
        rows.append((ident, sha256, str(archive.store(source, sha256, AT))))
    for path, body in ((Path(rows[0][2]), b"RIFF 0ne"), (Path(rows[1][2]), b"")):
        path.chmod(0o600)
        path.write_bytes(body)
    keys = LocalKeys(MasterKey(bytes(32)))
    count, damaged = damaged_recordings(rows, root, str(root), keys)
    assert count == 3
    assert [(d.recording_id, d.problem) for d in damaged] == [(1, "altered"), (2, "altered")]


def test_the_restore_check_fails_a_recording_cut_to_nothing(app: App, tmp_path: Path) -> None:
    # A file emptied (sealed or clear) has size 0: the restore's check skipped any file of
    # size 0, so a recording truncated to nothing passed as "each sha256 as stored".
    manifest = stage(app.backup_sources(), tmp_path / "staging", "L1", AT)
    (emptied_id, _, emptied), _, _ = _rows(app)
    emptied.chmod(0o600)
    emptied.write_bytes(b"")
    checks = {
        c.name: c
        for c in verify_in_service(
            app.settings.database_url(), app.paths.recordings, manifest, app.master_keys()
        )
    }
    assert not checks["recordings"].ok
    assert f"recording {emptied_id}" in checks["recordings"].detail


def test_the_restore_check_says_when_the_master_key_is_what_is_missing(
    app: App, tmp_path: Path
) -> None:
    manifest = stage(app.backup_sources(), tmp_path / "staging", "L1", AT)
    checks = {
        c.name: c
        for c in verify_in_service(
            app.settings.database_url(), app.paths.recordings, manifest, None
        )
    }
    assert not checks["recordings"].ok
    detail = checks["recordings"].detail
    assert "3 sealed and not opened here: put back the master key" in detail
    assert "damaged since" not in detail
