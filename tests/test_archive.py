"""Recordings sealed at rest, on both databases: intake seals, the pipeline reads in memory,
a changed file is refused (recorder.archive)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from recorder.archive import Archive, key_path
from recorder.errors import KeyProblem, Tampered
from recorder.intake import CallMetadata, store_recording
from recorder.keys import LocalKeys, read_key_file, write_key_file
from store.db import SessionFactory
from store.enums import RecordingStatus
from store.models import Recording
from tests.test_pipeline import CALLS, T0, GroundTruth, processor

SOURCE = CALLS / "cw46.wav"


def sealing_archive(root: Path, key_file: Path) -> Archive:
    if not key_file.exists():
        write_key_file(key_file)
    return Archive(root, LocalKeys(read_key_file(key_file)), encrypt=True)


def clear_bytes_in(root: Path) -> list[Path]:
    """Files under ``root`` that hold a WAV in clear."""
    return [p for p in root.rglob("*") if p.is_file() and p.read_bytes()[:4] == b"RIFF"]


def test_intake_seals_and_the_pipeline_reads_the_sealed_file(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    archive = sealing_archive(tmp_path / "archive", tmp_path / "master.key")
    meta = CallMetadata(agent_channel=0, contact_type="debtor")
    intake = store_recording(sessions, SOURCE, archive, T0, meta)
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
    path = Path(row.path)
    assert path.suffix == ".cwa" and key_path(path).is_file()
    assert row.sha256 == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    assert row.size_bytes == SOURCE.stat().st_size and row.duration_s and row.channels == 2
    assert clear_bytes_in(tmp_path / "archive") == []
    assert archive.read_all(path, row.sha256) == SOURCE.read_bytes()

    worker = replace(processor(sessions, GroundTruth("cw46")), archive=archive)
    assert worker.process(intake.recording_id).status == "transcribed"


def test_a_changed_byte_fails_the_transcription_with_the_reason(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    archive = sealing_archive(tmp_path / "archive", tmp_path / "master.key")
    intake = store_recording(sessions, SOURCE, archive, T0, CallMetadata(agent_channel=0))
    with sessions() as session:
        path = Path(session.get_one(Recording, intake.recording_id).path)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    path.chmod(0o644)
    path.write_bytes(bytes(raw))
    worker = replace(processor(sessions, GroundTruth("cw46")), archive=archive)
    worker.settings = replace(worker.settings, max_tries=1)
    assert worker.process(intake.recording_id).status in {"failed", "retry"}
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
    assert (
        row.status == RecordingStatus.FAILED
        and row.error
        and "fails its authentication" in row.error
    )


def test_a_clear_file_is_checked_against_its_sha256_too(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    stored = archive.store(SOURCE, hashlib.sha256(SOURCE.read_bytes()).hexdigest(), T0)
    with pytest.raises(Tampered, match="sha256"):
        archive.read_all(stored, "0" * 64)


def test_sealed_files_need_a_key_and_encrypt_needs_one(tmp_path: Path) -> None:
    with pytest.raises(KeyProblem, match="no master key"):
        Archive(tmp_path, None, encrypt=True)
    sealing = sealing_archive(tmp_path / "archive", tmp_path / "master.key")
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    stored = sealing.store(SOURCE, digest, T0)
    with pytest.raises(KeyProblem, match="no master key"):
        Archive(tmp_path / "archive").read_all(stored, digest)
    other = sealing_archive(tmp_path / "archive", tmp_path / "other.key")
    with pytest.raises(KeyProblem, match="not configured here"):
        other.read_all(stored, digest)
