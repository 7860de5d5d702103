"""The real cause of a silently empty recording: Asterisk killed in the middle of a call
leaves MixMonitor's files with headers that understate their audio. The sweep stores the
call, read in full and marked repaired, and it is transcribed."""

from __future__ import annotations

import os
import signal
import struct
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from recorder.sweep import sweep_spool
from store.db import SessionFactory
from store.enums import AttemptStatus, RecordingStatus
from store.models import CallAttempt, Recording, Utterance
from tests.test_campaign import Network, campaign, network  # noqa: F401 (the fixture)
from tests.test_pipeline import T0, GroundTruth, processor
from tests.test_reservation import at

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def header_sizes(path: Path) -> tuple[int, int]:
    """The RIFF and data sizes the header says (Python's ``wave`` refuses a RIFF size of 0)."""
    raw = path.read_bytes()[:44]
    assert raw[:4] == b"RIFF" and raw[36:40] == b"data"
    riff, data = struct.unpack_from("<I", raw, 4)[0], struct.unpack_from("<I", raw, 40)[0]
    return riff, data


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_call_recorded_while_asterisk_is_killed_is_transcribed_in_full(
    sessions: SessionFactory, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    net: Network = request.getfixturevalue("network")
    run = campaign(sessions, net.core, net.gate, {1: net.items[:1]}, at(10))  # cw01, 31 s
    worker = threading.Thread(target=run.run)
    worker.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with sessions() as session:
            if session.scalar(select(CallAttempt.status)) == AttemptStatus.ANSWERED:
                break
        time.sleep(0.1)
    time.sleep(6)  # a few seconds of the call are recorded
    assert net.core.pid is not None
    os.killpg(net.core.pid, signal.SIGKILL)
    worker.join(timeout=60)
    assert not worker.is_alive()

    rx = net.core.recordings / "attempt-1-rx.wav"
    on_disk_frames = (rx.stat().st_size - 44) // 2
    assert on_disk_frames > 8000 * 2  # stdio flushes 64 KiB at a time: 4 s at 8 kHz
    riff, data = header_sizes(rx)
    assert data < on_disk_frames * 2 and riff < rx.stat().st_size - 8  # what Asterisk left
    [intake] = sweep_spool(sessions, net.core.recordings, tmp_path / "archive", T0, min_age_s=0)
    assert intake.status == RecordingStatus.STORED
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
        assert row.repair_note is not None and "stale WAV header" in row.repair_note
        assert row.duration_s is not None and row.duration_s >= on_disk_frames / 8000 - 0.1
    outcome = processor(sessions, GroundTruth("cw01")).process(intake.recording_id)
    assert outcome.status == "transcribed"
    with sessions() as session:
        ends = list(session.scalars(select(Utterance.end_s)))
    assert ends and max(ends) > 3.0
