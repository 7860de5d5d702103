"""WAV files whose header understates the audio (what Asterisk leaves when it is killed before
closing a MixMonitor file): read in full, the repair recorded on the row, the original kept
byte for byte; files that cannot be read are failed with the reason and show in QA."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import struct
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from config.settings import TranscriberSettings
from console.pipeline_cmd import cmd_calls_show
from recorder.audio import read_recording
from recorder.errors import BadRecording
from recorder.intake import store_recording
from recorder.sweep import sweep_spool
from store.db import SessionFactory
from store.enums import AttemptStatus, RecordingStatus
from store.models import Recording, Utterance
from store.qa import recordings_needing_attention
from tests.conftest import FIXTURES
from tests.dbdata import add_attempts, debtor_targets, load_sample
from tests.test_pipeline import T0, GroundTruth, processor
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import console_app, seed_console
from transcriber import open_transcriber

CALLS = FIXTURES / "calls"
CALL = "cw12"
"""10.5 s, an agent who breaks a rule: lost entirely if its header is believed."""


def stale_copy(source: Path, target: Path, declared_s: float) -> Path:
    """``source`` with its RIFF and data sizes saying only ``declared_s`` seconds of audio,
    as a MixMonitor file whose header was last written then; the PCM is all there."""
    raw = bytearray(source.read_bytes())
    with wave.open(str(source), "rb") as wav:
        frame = wav.getnchannels() * wav.getsampwidth()
        declared = int(declared_s * wav.getframerate()) * frame
    data_at = raw.index(b"data")
    struct.pack_into("<I", raw, data_at + 4, declared)
    struct.pack_into("<I", raw, 4, data_at + 8 + declared - 8)
    target.write_bytes(bytes(raw))
    return target


def direction_files(source: Path, spool: Path, attempt: int, declared_s: float) -> None:
    """A killed MixMonitor's two direction files (rx = callee, tx = agent) from a stereo call."""
    audio = read_recording(source)
    agent = json.loads(source.with_suffix(".json").read_text(encoding="utf-8"))["agent_channel"]
    for suffix, channel in (("rx", 1 - agent), ("tx", agent)):
        whole = spool / f"whole-{suffix}.wav"
        with wave.open(str(whole), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(audio.rate)
            wav.writeframes(audio.channels[channel].tobytes())
        stale_copy(whole, spool / f"attempt-{attempt}-{suffix}.wav", declared_s)
        whole.unlink()


@pytest.mark.parametrize("declared_s", [0.0, 2.0])
def test_a_stale_header_is_read_to_the_end_of_the_file(tmp_path: Path, declared_s: float) -> None:
    stale = stale_copy(CALLS / f"{CALL}.wav", tmp_path / "stale.wav", declared_s)
    whole, read = read_recording(CALLS / f"{CALL}.wav"), read_recording(stale)
    assert read.duration == whole.duration
    assert all(np.array_equal(a, b) for a, b in zip(read.channels, whole.channels, strict=True))
    assert read.repair is not None and "stale WAV header" in read.repair
    assert f"{declared_s:.1f} s" in read.repair and f"{whole.duration:.1f} s" in read.repair
    assert whole.repair is None


def test_a_partly_written_last_frame_is_dropped_and_said(tmp_path: Path) -> None:
    stale = stale_copy(CALLS / f"{CALL}.wav", tmp_path / "stale.wav", 0.0)
    with stale.open("ab") as handle:
        handle.write(b"\x01\x02\x03")  # killed in the middle of a frame
    read = read_recording(stale)
    assert read.duration == read_recording(CALLS / f"{CALL}.wav").duration
    assert read.repair is not None and "3 bytes of a partial frame dropped" in read.repair


def test_chunks_after_the_audio_are_not_a_stale_header(tmp_path: Path) -> None:
    path = tmp_path / "tagged.wav"
    raw = (CALLS / f"{CALL}.wav").read_bytes()
    tag = b"LIST" + struct.pack("<I", 12) + b"INFOICMT\x00\x00\x00\x00"
    path.write_bytes(raw[:4] + struct.pack("<I", len(raw) + len(tag) - 8) + raw[8:] + tag)
    read = read_recording(path)
    assert read.repair is None and read.duration == read_recording(CALLS / f"{CALL}.wav").duration


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda raw: raw[:36], "no data chunk"),
        (lambda raw: raw[:12] + raw[36:], "no fmt chunk before the audio"),
        (lambda raw: b"RIFX" + raw[4:], "not a PCM WAV file"),
        (lambda raw: raw[:20] + struct.pack("<H", 3) + raw[22:], "not PCM (format 3)"),
        (lambda raw: raw[:16] + struct.pack("<I", 10_000_000) + raw[20:], "fmt chunk runs past"),
    ],
)
def test_headers_that_cannot_be_read_say_why(tmp_path: Path, make: object, reason: str) -> None:
    assert callable(make)
    path = tmp_path / "bad.wav"
    path.write_bytes(make((CALLS / f"{CALL}.wav").read_bytes()))
    with pytest.raises(BadRecording, match=re.escape(reason)):
        read_recording(path)


def test_intake_keeps_the_original_and_records_the_repair(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    stale = stale_copy(CALLS / f"{CALL}.wav", tmp_path / "attempt-7.wav", 0.0)
    original = stale.read_bytes()
    intake = store_recording(sessions, stale, tmp_path / "archive", T0)
    assert intake.status == RecordingStatus.STORED and intake.error is None
    assert intake.sha256 == hashlib.sha256(original).hexdigest()
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
        assert Path(row.path).read_bytes() == original  # archived as it came
        assert row.repair_note is not None and "stale WAV header" in row.repair_note
        assert row.duration_s == pytest.approx(read_recording(CALLS / f"{CALL}.wav").duration)
    assert stale.read_bytes() == original
    outcome = processor(sessions, GroundTruth(CALL)).process(intake.recording_id)
    assert outcome.status == "transcribed" and outcome.flags >= 1
    labelled = json.loads((CALLS / f"{CALL}.json").read_text(encoding="utf-8"))["transcript"]
    with sessions() as session:
        heard = list(session.scalars(select(Utterance.text)))
        assert all(any(line["text"] in text for text in heard) for line in labelled)
        assert [r.id for r in recordings_needing_attention(session)] == [intake.recording_id]


def test_a_killed_mixmonitors_direction_files_are_swept_in_full(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    load_sample(sessions)
    add_attempts(sessions, debtor_targets(sessions)[0], [T0], AttemptStatus.ANSWERED)
    spool = tmp_path / "spool"
    spool.mkdir()
    direction_files(CALLS / f"{CALL}.wav", spool, 1, 0.0)
    old = time.time() - 60
    for path in spool.iterdir():
        os.utime(path, (old, old))
    [intake] = sweep_spool(sessions, spool, tmp_path / "archive", T0)
    assert intake.status == RecordingStatus.STORED
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
        assert row.repair_note is not None and "attempt-1-rx.wav" in row.repair_note
        assert row.duration_s == pytest.approx(read_recording(CALLS / f"{CALL}.wav").duration)


def test_an_unreadable_recording_is_failed_with_why_and_shows_in_qa(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    bad = tmp_path / "cut.wav"
    bad.write_bytes((CALLS / f"{CALL}.wav").read_bytes()[:36])
    intake = store_recording(sessions, bad, tmp_path / "archive", T0)
    assert intake.status == RecordingStatus.FAILED and "no data chunk" in (intake.error or "")
    with sessions() as session:
        [row] = recordings_needing_attention(session)
        assert row.id == intake.recording_id and row.status == RecordingStatus.FAILED


def test_qa_and_calls_show_say_what_was_repaired_and_what_failed(
    db_url: str, tmp_path: Path
) -> None:
    app = console_app(db_url, tmp_path / "var")
    try:
        seed_console(app, ["cw07"])
        stale = stale_copy(CALLS / f"{CALL}.wav", tmp_path / "attempt-9.wav", 0.0)
        bad = tmp_path / "attempt-10.wav"
        bad.write_bytes((CALLS / f"{CALL}.wav").read_bytes()[:36])
        archive = app.paths.recordings
        repaired = store_recording(app.sessions, stale, archive, T0).recording_id
        failed = store_recording(app.sessions, bad, archive, T0).recording_id
        client = console_client(app, FakeDialer(app))
        login(client, "qa1")
        queue = client.get("/qa").text
        assert f'href="/qa/calls/{repaired}"' in queue and f'href="/qa/calls/{failed}"' in queue
        assert "stale WAV header" in queue and "no data chunk" in queue
        assert "stale WAV header" in client.get(f"/qa/calls/{repaired}").text
        out = io.StringIO()
        assert cmd_calls_show(app, argparse.Namespace(call_id=str(repaired)), out) == 0
        assert "repaired (修复): stale WAV header" in out.getvalue()
    finally:
        app.engine.dispose()


@pytest.mark.model
def test_whisper_hears_every_line_of_a_call_whose_header_went_stale(tmp_path: Path) -> None:
    var = Path(os.environ.get("CALLWARDEN_TEST_VAR", tmp_path / "var"))
    whisper = open_transcriber(TranscriberSettings(), var)
    data = json.loads((CALLS / f"{CALL}.json").read_text(encoding="utf-8"))
    stale = stale_copy(CALLS / f"{CALL}.wav", tmp_path / "attempt-3-mix.wav", 2.0)
    heard = whisper.transcribe_file(stale, data["agent_channel"])
    for line in data["transcript"]:
        middle = (line["start"] + line["end"]) / 2
        assert any(
            u.speaker == line["speaker"] and u.start <= middle <= u.end and u.text for u in heard
        ), line
    assert max(u.end for u in heard) > data["duration"] - 3
