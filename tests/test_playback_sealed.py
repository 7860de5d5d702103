"""Playback of sealed recordings, on both databases: whole files and ranges come back as the
plain WAV without a plain copy on disk; a changed file serves no audio and says why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from config import Settings
from config.settings import ArchiveSettings, DatabaseSettings, PathSettings
from console.app import build_app
from recorder.keys import write_key_file
from recorder.sealed import CHUNK_BYTES, HEADER_BYTES, TAG_BYTES
from store.models import AuditLog, Recording
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALLS, Seed, seed_console

CALL = "cw07"


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    key = tmp_path / "master.key"
    write_key_file(key)
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        paths=PathSettings(var_dir=tmp_path / "var"),
        archive=ArchiveSettings(encrypt=True, key_file=key),
    )
    app = build_app(settings)
    yield seed_console(app, [CALL])
    app.engine.dispose()


@pytest.fixture
def client(seed: Seed) -> TestClient:
    client = console_client(seed.app, FakeDialer(seed.app))
    login(client, "qa1")
    return client


def _sealed_path(seed: Seed) -> Path:
    with seed.app.sessions() as session:
        return Path(session.get_one(Recording, seed.recordings[CALL]).path)


def _audits(seed: Seed, action: str) -> int:
    with seed.app.sessions() as session:
        query = select(func.count()).select_from(AuditLog).where(AuditLog.action == action)
        return session.scalar(query) or 0


def test_whole_file_ranges_and_download_are_the_plain_audio(client: TestClient, seed: Seed) -> None:
    plain = (CALLS / f"{CALL}.wav").read_bytes()
    rec = seed.recordings[CALL]
    assert _sealed_path(seed).suffix == ".cwa"
    stored = [p for p in seed.app.paths.recordings.rglob("*") if p.is_file()]
    assert stored and all(p.read_bytes()[:4] != b"RIFF" for p in stored)

    whole = client.get(f"/recordings/{rec}/audio")
    assert whole.status_code == 200 and whole.content == plain
    assert whole.headers["content-length"] == str(len(plain))
    size = len(plain)
    for spec, first, last in [
        ("0-0", 0, 0),
        ("1000-1999", 1000, 1999),
        (f"{CHUNK_BYTES - 7}-{CHUNK_BYTES + 8}", CHUNK_BYTES - 7, CHUNK_BYTES + 8),
        (f"{3 * CHUNK_BYTES}-", 3 * CHUNK_BYTES, size - 1),
        ("-100", size - 100, size - 1),
    ]:
        part = client.get(f"/recordings/{rec}/audio", headers={"Range": f"bytes={spec}"})
        assert part.status_code == 206, spec
        assert part.content == plain[first : last + 1], spec
        assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
    past = client.get(f"/recordings/{rec}/audio", headers={"Range": f"bytes={size}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"
    download = client.get(f"/recordings/{rec}/download")
    assert download.content == plain and "attachment" in download.headers["content-disposition"]
    assert (_audits(seed, "recording.play"), _audits(seed, "recording.download")) == (1, 1)


def test_a_flipped_byte_serves_no_audio_and_is_audited(client: TestClient, seed: Seed) -> None:
    rec = seed.recordings[CALL]
    path = _sealed_path(seed)
    raw = bytearray(path.read_bytes())
    chunk = 2  # flip one byte inside the third chunk
    raw[HEADER_BYTES + chunk * (CHUNK_BYTES + TAG_BYTES) + 100] ^= 0x01
    path.chmod(0o644)
    path.write_bytes(bytes(raw))
    in_chunk = f"bytes={chunk * CHUNK_BYTES + 50}-{chunk * CHUNK_BYTES + 150}"
    for reply in (
        client.get(f"/recordings/{rec}/audio"),
        client.get(f"/recordings/{rec}/audio", headers={"Range": in_chunk}),
        client.get(f"/recordings/{rec}/download"),
    ):
        assert reply.status_code == 500
        assert "完整性校验失败" in reply.text and "chunk 2" in reply.text
        assert b"RIFF" not in reply.content
    assert _audits(seed, "recording.integrity_failed") == 3
    assert (_audits(seed, "recording.play"), _audits(seed, "recording.download")) == (0, 0)


def test_another_recordings_sealed_file_in_its_place_is_refused(
    client: TestClient, seed: Seed
) -> None:
    rec = seed.recordings[CALL]
    path = _sealed_path(seed)
    other = seed.app.archive.store(CALLS / "cw01.wav", "ab" * 32, datetime(2026, 1, 1, tzinfo=UTC))
    path.chmod(0o644)
    path.write_bytes(other.read_bytes())
    reply = client.get(f"/recordings/{rec}/audio", headers={"Range": "bytes=0-99"})
    assert reply.status_code == 500 and "不是登记的那一份" in reply.text


@pytest.mark.parametrize("cut", ["mid_chunk", "chunk_boundary", "appended"])
def test_a_sealed_file_of_the_wrong_length_serves_not_even_an_intact_range(
    client: TestClient, seed: Seed, cut: str
) -> None:
    # A range used to be checked by its own chunks only: a file cut short (or grown) still
    # played its first seconds, and no integrity failure was logged; a player asks in ranges.
    rec = seed.recordings[CALL]
    path = _sealed_path(seed)
    raw = path.read_bytes()
    changed = {
        "mid_chunk": raw[: len(raw) // 2],
        "chunk_boundary": raw[: HEADER_BYTES + 2 * (CHUNK_BYTES + TAG_BYTES)],
        "appended": raw + b"\0" * 100,
    }[cut]
    path.chmod(0o644)
    path.write_bytes(changed)
    reply = client.get(f"/recordings/{rec}/audio", headers={"Range": "bytes=0-99"})
    assert reply.status_code == 500 and "完整性校验失败" in reply.text
    assert b"RIFF" not in reply.content
    assert _audits(seed, "recording.integrity_failed") == 1
    assert _audits(seed, "recording.play") == 0


@pytest.mark.parametrize("change", ["another_recordings_key", "garbled", "deleted"])
def test_a_changed_data_key_file_is_an_integrity_failure_and_audited(
    client: TestClient, seed: Seed, change: str
) -> None:
    # A key file swapped, garbled or deleted answered 503 "cannot decrypt", as if the master
    # key were missing, and left no recording.integrity_failed row: tampering went unlogged.
    rec = seed.recordings[CALL]
    key = _sealed_path(seed).with_suffix(".key")
    other = seed.app.archive.store(CALLS / "cw01.wav", "ab" * 32, datetime(2026, 1, 1, tzinfo=UTC))
    key.chmod(0o644)
    if change == "another_recordings_key":
        key.write_bytes(other.with_suffix(".key").read_bytes())
    elif change == "garbled":
        key.write_text("{]", encoding="utf-8")
    else:
        key.unlink()
    reply = client.get(f"/recordings/{rec}/audio", headers={"Range": "bytes=0-99"})
    assert reply.status_code == 500 and "完整性校验失败" in reply.text
    assert b"RIFF" not in reply.content
    assert _audits(seed, "recording.integrity_failed") == 1


def test_a_master_key_not_configured_here_is_still_a_503(
    db_url: str, tmp_path: Path, seed: Seed
) -> None:
    other = tmp_path / "other.key"
    write_key_file(other)
    app = build_app(
        Settings(
            database=DatabaseSettings(url=db_url),
            paths=PathSettings(var_dir=tmp_path / "var"),
            archive=ArchiveSettings(encrypt=True, key_file=other),
        )
    )
    client = console_client(app, FakeDialer(app))
    login(client, "qa1")
    reply = client.get(f"/recordings/{seed.recordings[CALL]}/audio")
    assert reply.status_code == 503 and "无法解密" in reply.text
    assert _audits(seed, "recording.integrity_failed") == 0
    app.engine.dispose()
