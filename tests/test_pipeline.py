"""Recordings through the pipeline, on both databases: intake, claim/lease, idempotent results,
poisoned files, and callee events that the policy engine sees next time."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import wave
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import func, select

from compliance.detector import Detector
from compliance.lexicon import load_lexicon
from console.detection import detect_with
from recorder.audio import read_recording
from recorder.intake import CallMetadata, store_recording
from recorder.sweep import sweep_spool
from store.db import SessionFactory
from store.enums import AttemptStatus, HoldReason, RecordingStatus
from store.models import AuditLog, CallAttempt, DoNotCall, Flag, Hold, Recording, Utterance
from tests.conftest import FIXTURES
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets, load_sample
from tests.test_reservation import at, reserve
from transcriber import RecognisedText, Transcriber
from transcriber.pipeline import PipelineSettings, RecordingProcessor, claim, pending_recordings

CALLS = FIXTURES / "calls"
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo("UTC"))
DETECT = detect_with(Detector(load_lexicon("cn-default")))


class GroundTruth:
    """Hears each channel's segments as its labelled lines, in order: the pipeline without ASR.

    Where VAD joined lines into one segment, the last segment hears all the rest.
    """

    def __init__(self, call_id: str) -> None:
        data = json.loads((CALLS / f"{call_id}.json").read_text(encoding="utf-8"))
        agent = data["agent_channel"]
        self.channels = [
            [u["text"] for u in data["transcript"] if u["speaker"] == speaker]
            for speaker in (("agent", "callee") if agent == 0 else ("callee", "agent"))
        ]

    def recognise_many(self, pieces: Sequence[np.ndarray]) -> list[RecognisedText]:  # type: ignore[type-arg]
        lines = self.channels.pop(0)
        texts = [*lines[: len(pieces) - 1], "".join(lines[len(pieces) - 1 :])]
        return [RecognisedText(text, -0.1) for text in texts]


class Exploding:
    def recognise_many(self, pieces: Sequence[np.ndarray]) -> list[RecognisedText]:  # type: ignore[type-arg]
        raise ValueError("decoder exploded")


def processor(
    sessions: SessionFactory, recognizer: object, worker: str = "w1", now: datetime = T0
) -> RecordingProcessor:
    return RecordingProcessor(
        sessions=sessions,
        transcriber=Transcriber(recognizer),  # type: ignore[arg-type]
        detect=DETECT,
        worker=worker,
        clock=lambda: now,
        model_name="ground-truth",
        settings=PipelineSettings(lease=timedelta(minutes=5), max_tries=2),
    )


def attempt_for(sessions: SessionFactory, target: Target) -> int:
    add_attempts(sessions, target, [T0 - timedelta(minutes=1)], AttemptStatus.ANSWERED)
    with sessions() as session:
        return session.scalars(select(func.max(CallAttempt.id))).one()


def test_intake_archives_a_read_only_copy_and_leaves_the_original(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    original = shutil.copy(CALLS / "cw01.wav", tmp_path / "bank-archive-0001.wav")
    before = (Path(original).stat().st_mtime_ns, Path(original).read_bytes())
    intake = store_recording(sessions, Path(original), tmp_path / "archive", T0)
    digest = hashlib.sha256(before[1]).hexdigest()
    stored = tmp_path / "archive" / "2026/12/01" / digest[:2] / f"{digest}.wav"
    assert intake.sha256 == digest and stored.read_bytes() == before[1]
    assert not os.access(stored, os.W_OK) or os.geteuid() == 0
    assert stored.stat().st_mode & 0o222 == 0
    assert (Path(original).stat().st_mtime_ns, Path(original).read_bytes()) == before
    again = store_recording(sessions, Path(original), tmp_path / "archive", T0 + timedelta(days=1))
    assert again.duplicate and again.recording_id == intake.recording_id
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
        assert (row.status, row.sample_rate, row.channels, row.agent_channel) == (
            RecordingStatus.STORED,
            8000,
            2,
            None,
        )
        assert row.duration_s == pytest.approx(
            json.loads((CALLS / "cw01.json").read_text())["duration"], abs=0.01
        )
        assert session.scalar(select(func.count()).select_from(Recording)) == 1


def test_broken_files_are_failed_with_a_reason_and_the_rest_goes_on(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    mp3 = tmp_path / "song.wav"
    mp3.write_bytes(b"ID3\x03not a wav at all")
    results = [
        store_recording(sessions, path, tmp_path / "archive", T0, CallMetadata(agent_channel=0))
        for path in (empty, mp3, CALLS / "cw07.wav")
    ]
    assert [r.status for r in results] == ["failed", "failed", "stored"]
    assert "empty file" in (results[0].error or "") and "not a PCM WAV" in (results[1].error or "")
    assert pending_recordings(sessions, T0, PipelineSettings()) == [results[2].recording_id]
    outcome = processor(sessions, GroundTruth("cw07")).process(results[2].recording_id)
    assert outcome.status == "transcribed" and outcome.flags == 1


def test_a_batch_goes_on_past_a_file_that_broke_after_intake(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    meta = CallMetadata(agent_channel=0, contact_type="debtor")
    good = store_recording(sessions, CALLS / "cw07.wav", tmp_path, T0, meta)
    victim = store_recording(sessions, CALLS / "cw01.wav", tmp_path, T0, meta)
    with sessions.begin() as session:  # the archive copy went missing (a failed disk, say)
        path = Path(session.get_one(Recording, victim.recording_id).path)
    path.chmod(0o600)
    path.unlink()
    done = processor(sessions, GroundTruth("cw07")).process_batch(
        [good.recording_id, victim.recording_id, good.recording_id]
    )
    assert [o.status for o in done] == ["transcribed", "retry", "transcribed"]
    assert "No such file" in (done[1].error or "") or "not found" in (done[1].error or "")
    again = processor(sessions, GroundTruth("cw07")).process_batch([good.recording_id])
    assert again[0].status == "skipped"


def test_a_recording_is_transcribed_once(sessions: SessionFactory, tmp_path: Path) -> None:
    meta = CallMetadata(agent_channel=0, contact_type="debtor")
    intake = store_recording(sessions, CALLS / "cw46.wav", tmp_path, T0, meta)
    first = processor(sessions, GroundTruth("cw46")).process(intake.recording_id)
    second = processor(sessions, GroundTruth("cw46"), worker="w2").process(intake.recording_id)
    assert (first.status, second.status) == ("transcribed", "skipped")
    with sessions() as session:
        speakers = session.scalars(
            select(Utterance.speaker).where(Utterance.recording_id == intake.recording_id)
        ).all()
        categories = session.scalars(
            select(Flag.category).where(Flag.recording_id == intake.recording_id)
        ).all()
        row = session.get_one(Recording, intake.recording_id)
    assert sorted(s.value for s in speakers) == ["agent"] * 2 + ["callee"] * 3  # VAD joined 3
    assert sorted(categories) == ["induce_borrowing", "insult", "private_payment"]
    assert (row.status, row.tries, row.claimed_by, row.model_name) == (
        RecordingStatus.TRANSCRIBED,
        1,
        None,
        "ground-truth",
    )


class Unsure:
    """Hears every piece as the same words, with the runners-up it was not sure about."""

    def recognise_many(self, pieces: Sequence[np.ndarray]) -> list[RecognisedText]:  # type: ignore[type-arg]
        return [RecognisedText("全部检免", -0.7, ("全部减免", "全部檢免")) for _ in pieces]


def test_each_utterance_keeps_its_confidence_and_alternatives(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    meta = CallMetadata(agent_channel=0, contact_type="debtor")
    intake = store_recording(sessions, CALLS / "cw07.wav", tmp_path, T0, meta)
    outcome = processor(sessions, Unsure()).process(intake.recording_id)
    assert outcome.status == "transcribed" and outcome.utterances
    # the Traditional runner-up is the best text once Simplified: it is no alternative
    assert {u.alternatives for u in outcome.utterances} == {("全部减免",)}
    with sessions() as session:
        rows = session.scalars(
            select(Utterance).where(Utterance.recording_id == intake.recording_id)
        ).all()
    assert len(rows) == len(outcome.utterances)
    for row in rows:
        assert row.confidence == pytest.approx(math.exp(-0.7))
        assert row.alternatives == ["全部减免"]


def test_a_lease_holds_until_it_expires_and_a_lost_claim_writes_nothing(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    intake = store_recording(
        sessions, CALLS / "cw07.wav", tmp_path, T0, CallMetadata(agent_channel=0)
    )
    settings = PipelineSettings(lease=timedelta(minutes=5), max_tries=3)
    assert claim(sessions, intake.recording_id, "dead-worker", T0, settings) is not None
    assert claim(sessions, intake.recording_id, "w2", T0 + timedelta(minutes=4), settings) is None
    assert pending_recordings(sessions, T0 + timedelta(minutes=4), settings) == []
    later = T0 + timedelta(minutes=6)
    assert pending_recordings(sessions, later, settings) == [intake.recording_id]
    outcome = processor(sessions, GroundTruth("cw07"), worker="w2", now=later).process(
        intake.recording_id
    )
    assert outcome.status == "transcribed"
    with sessions() as session:
        assert session.get_one(Recording, intake.recording_id).tries == 2
        count = session.scalar(
            select(func.count()).where(Utterance.recording_id == intake.recording_id)
        )
    assert count == 6


def test_a_poisoned_file_ends_failed_not_looping(sessions: SessionFactory, tmp_path: Path) -> None:
    intake = store_recording(
        sessions, CALLS / "cw07.wav", tmp_path, T0, CallMetadata(agent_channel=0)
    )
    first = processor(sessions, Exploding()).process(intake.recording_id)
    second = processor(sessions, Exploding()).process(intake.recording_id)
    third = processor(sessions, GroundTruth("cw07")).process(intake.recording_id)
    assert [o.status for o in (first, second, third)] == ["retry", "failed", "skipped"]
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
    assert row.status == RecordingStatus.FAILED and row.error == "decoder exploded"
    assert pending_recordings(sessions, T0 + timedelta(hours=1), PipelineSettings()) == []


def test_a_worker_that_dies_every_time_is_given_up(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    intake = store_recording(
        sessions, CALLS / "cw07.wav", tmp_path, T0, CallMetadata(agent_channel=0)
    )
    settings = PipelineSettings(lease=timedelta(minutes=1), max_tries=2)
    for minute in (0, 2):  # claimed, then the worker dies (no finish, no release)
        assert claim(sessions, intake.recording_id, "w", T0 + timedelta(minutes=minute), settings)
    assert pending_recordings(sessions, T0 + timedelta(minutes=5), settings) == []
    with sessions() as session:
        row = session.get_one(Recording, intake.recording_id)
    assert row.status == RecordingStatus.FAILED and "gave up after 2 tries" in (row.error or "")


def test_a_complaint_stops_the_case_and_the_policy_engine_sees_it(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    load_sample(sessions)
    debtor = debtor_targets(sessions)[0]
    attempt = attempt_for(sessions, debtor)
    meta = CallMetadata(call_attempt_id=attempt, agent_channel=0)
    intake = store_recording(sessions, CALLS / "cw34.wav", tmp_path, T0, meta)
    outcome = processor(sessions, GroundTruth("cw34")).process(intake.recording_id)
    assert outcome.events.holds == (debtor.case_id,)
    with sessions() as session:
        hold = session.scalars(select(Hold).where(Hold.case_id == debtor.case_id)).one()
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "hold.placed")).one()
    assert (hold.reason, hold.placed_by, hold.cleared_at) == (
        HoldReason.COMPLAINT_TENDENCY,
        "detector",
        None,
    )
    assert hold.source_flag_id is not None and "投诉" in hold.detail
    assert audit.object_id == str(debtor.case_id)
    assert reserve(sessions, debtor, at(9, day=2))[2] == "law.hold"


def test_a_third_partys_do_not_call_blocks_that_number(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    load_sample(sessions)
    family = contact_targets(sessions, "family")[0]
    attempt = attempt_for(sessions, family)
    meta = CallMetadata(call_attempt_id=attempt, agent_channel=1)  # cw32's agent is on the right
    intake = store_recording(sessions, CALLS / "cw32.wav", tmp_path, T0, meta)
    outcome = processor(sessions, GroundTruth("cw32")).process(intake.recording_id)
    assert outcome.events.do_not_call == (family.e164,)
    with sessions() as session:
        assert session.scalars(select(DoNotCall.e164)).all() == [family.e164]
    assert reserve(sessions, family, at(9, day=5))[2] == "law.do_not_call"


def test_a_debtors_own_stop_calling_is_not_a_do_not_call(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    load_sample(sessions)
    debtor = debtor_targets(sessions)[0]
    meta = CallMetadata(call_attempt_id=attempt_for(sessions, debtor), agent_channel=0)
    intake = store_recording(sessions, CALLS / "cw38.wav", tmp_path, T0, meta)
    outcome = processor(sessions, GroundTruth("cw38")).process(intake.recording_id)
    assert outcome.events.do_not_call == () and outcome.flags == 0


def test_the_same_audio_from_two_calls_is_two_recordings(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    load_sample(sessions)
    debtor = debtor_targets(sessions)[0]
    first, second = attempt_for(sessions, debtor), attempt_for(sessions, debtor)
    wav = CALLS / "cw01.wav"
    a = store_recording(sessions, wav, tmp_path, T0, CallMetadata(call_attempt_id=first))
    b = store_recording(sessions, wav, tmp_path, T0, CallMetadata(call_attempt_id=second))
    again = store_recording(sessions, wav, tmp_path, T0, CallMetadata(call_attempt_id=second))
    assert a.recording_id != b.recording_id and not a.duplicate and not b.duplicate
    assert again.duplicate and again.recording_id == b.recording_id
    with sessions() as session:
        paths = session.scalars(select(Recording.path).order_by(Recording.id)).all()
    assert paths[0] == paths[1]  # one archived file


def test_the_sweep_stores_pairs_nobody_handed_over(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    load_sample(sessions)
    attempt = attempt_for(sessions, debtor_targets(sessions)[0])
    spool = tmp_path / "monitor"
    spool.mkdir()
    audio = read_recording(CALLS / "cw07.wav")
    for side, channel in (("tx", 0), ("rx", 1)):  # cw07: agent on the left
        with wave.open(str(spool / f"attempt-{attempt}-{side}.wav"), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)
            wav.writeframes(audio.channels[channel].tobytes())
    (spool / "attempt-999999-rx.wav").write_bytes(b"")  # no such attempt, no pair: left alone
    assert sweep_spool(sessions, spool, tmp_path / "archive", T0, min_age_s=3600) == []  # too new
    (stored,) = sweep_spool(sessions, spool, tmp_path / "archive", T0, min_age_s=0)
    assert stored.status == "stored"
    assert sweep_spool(sessions, spool, tmp_path / "archive", T0, min_age_s=0) == []  # once
    outcome = processor(sessions, GroundTruth("cw07")).process(stored.recording_id)
    assert outcome.status == "transcribed" and outcome.flags == 1
