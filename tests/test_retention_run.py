"""The retention run on both databases: expired rows and recording files are really gone,
each with a tombstone (rule, hash), held and young ones stay, the dry run says exactly what
the run then does and writes nothing, and a run that dies mid-way leaves nothing half-deleted
and is completed by the next."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

import store.retention
import store.retention_delete
from compliance.complaints import Channel, ComplaintStatus, Grade
from compliance.errors import RetentionError
from compliance.retention import Kind, Ref, RetentionPeriods
from recorder.archive import KEY_SUFFIX, SEALED_SUFFIX, key_path, remove_archived
from store.audit import verify
from store.db import SessionFactory, make_read_session_factory
from store.enums import HoldReason, LegalHoldReason, RecordingStatus
from store.errors import LegalHoldError
from store.legal_holds import place_legal_hold, release_legal_hold
from store.models import (
    AuditLog,
    CollectionNote,
    Complaint,
    DoNotCall,
    Flag,
    Hold,
    Recording,
    Tombstone,
)
from store.retention import run_retention
from store.retention_delete import canonical_sha256, row_dict
from tests.conftest import ROOT
from tests.retentiondata import BORN, PERIODS, Call, add_call, stored, tombstones

GONE = {"attempt": 0, "recording": 0, "transcript": 0, "note": 0}
WHOLE = {"attempt": 1, "recording": 1, "transcript": 2, "note": 1}
LATER = BORN + timedelta(days=1100, hours=1)
"""Past every default period of a call made at BORN; cmb keeps its audio until day 1500."""


@dataclass(frozen=True)
class History:
    sessions: SessionFactory
    reads: SessionFactory
    archive: Path
    expired: Call
    """icbc, born BORN: everything goes at LATER."""
    cmb: Call
    """cmb, born BORN: transcript and note go at LATER; audio, and so its attempt, stay."""
    disputed: Call
    """icbc, born BORN, under a legal hold for a dispute."""
    complained: Call
    """icbc, born BORN, with an open complaint."""
    young: Call
    """icbc, born 600 days after BORN."""


@pytest.fixture
def history(engine: Engine, sessions: SessionFactory, tmp_path: Path) -> Iterator[History]:
    archive = tmp_path / "recordings"
    with sessions.begin() as session:
        calls = [
            add_call(session, archive, "icbc", "A-1", BORN),
            add_call(session, archive, "cmb", "C-1", BORN),
            add_call(session, archive, "icbc", "D-1", BORN),
            add_call(session, archive, "icbc", "P-1", BORN),
            add_call(session, archive, "icbc", "Y-1", BORN + timedelta(days=600)),
        ]
        place_legal_hold(
            session, "D-1", LegalHoldReason.DISPUTE, "借款人对欠款有异议", "admin1", BORN
        )
        hold = Hold(case_id=calls[3].case_id, reason=HoldReason.COMPLAINT, placed_by="qa1")
        session.add(hold)
        session.flush()
        session.add(
            Complaint(
                case_id=calls[3].case_id,
                channel=Channel.PHONE,
                grade=Grade.ROUTINE,
                derived_grade=Grade.ROUTINE,
                alleged="态度恶劣",
                handler="qa1",
                opened_by="qa1",
                due_on=date(2023, 3, 10),
                status=ComplaintStatus.OPEN,
                hold_id=hold.id,
            )
        )
    yield History(sessions, make_read_session_factory(engine), archive, *calls)


def _run(h: History, dry_run: bool = False, at: datetime = LATER) -> store.retention.RunReport:
    return run_retention(
        h.sessions, h.reads, PERIODS, at, "admin1", remove_archived, dry_run=dry_run
    )


def test_a_run_deletes_what_expired_and_leaves_a_tombstone_for_each(history: History) -> None:
    report = _run(history)
    h = history
    with h.reads() as session:
        assert stored(session, h.expired) == GONE
        assert stored(session, h.cmb) == {**GONE, "attempt": 1, "recording": 1}
        for whole in (h.disputed, h.complained, h.young):
            assert stored(session, whole) == WHOLE
        marks = tombstones(session)
    assert not h.expired.path.exists()
    assert all(c.path.exists() for c in (h.cmb, h.disputed, h.complained, h.young))
    by_object = {(t.kind, t.object_id, t.case_id): t for t in marks}
    e, c = h.expired, h.cmb
    assert set(by_object) == {
        (Kind.TRANSCRIPT, e.recording_id, e.case_id),
        (Kind.RECORDING, e.recording_id, e.case_id),
        (Kind.NOTE, e.note_id, e.case_id),
        (Kind.ATTEMPT, e.attempt_id, e.case_id),
        (Kind.TRANSCRIPT, c.recording_id, c.case_id),
        (Kind.NOTE, c.note_id, c.case_id),
    }
    recording = by_object[(Kind.RECORDING, e.recording_id, e.case_id)]
    assert recording.sha256 == hashlib.sha256(b"RIFFA-1").hexdigest() == e.sha256
    assert recording.rule == "default.recordings_days = 1000"
    assert recording.file_path == str(e.path) and recording.file_removed_at == LATER
    assert by_object[(Kind.NOTE, c.note_id, c.case_id)].rule == "default.notes_days = 1100"
    transcript = by_object[(Kind.TRANSCRIPT, e.recording_id, e.case_id)]
    assert transcript.detail == {
        "rows": {"utterances": 2, "flags": 1, "verdicts": 0, "review_items": 0}
    }
    assert len({t.sha256 for t in marks}) == len(marks)
    assert all(t.deleted_at == LATER and t.rules_source == "test-periods.toml" for t in marks)
    assert report.files_removed == 1 and report.counts() == {
        "transcript": 2,
        "recording": 1,
        "note": 2,
        "attempt": 1,
    }
    kept = {str(k.ref): k.why for k in report.kept}
    assert kept[f"attempt#{c.attempt_id}"] == f"recording#{c.recording_id} hangs on it and stays"
    assert kept[f"attempt#{h.disputed.attempt_id}"].startswith("case ")
    assert "legal hold #1 (dispute)" in kept[f"attempt#{h.disputed.attempt_id}"]
    assert "complaint #1 open" in kept[f"note#{h.complained.note_id}"]
    assert not any(str(k.ref).endswith(f"#{h.young.attempt_id}") for k in report.kept)
    verdict = verify(h.reads)
    assert verdict.broken is None
    with h.reads() as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "retention.delete"))
        assert [a.detail["deleted"] for a in audit] == [
            {"attempt": 1, "note": 2, "recording": 1, "transcript": 2}
        ]


def test_a_note_hash_is_of_its_canonical_row(history: History) -> None:
    with history.reads() as session:
        note = session.get_one(CollectionNote, history.expired.note_id)
        expected = canonical_sha256({"note": row_dict(note)})
    _run(history)
    with history.reads() as session:
        mark = session.scalars(select(Tombstone).where(Tombstone.kind == Kind.NOTE)).first()
        assert mark is not None and mark.sha256 == expected


def test_the_dry_run_says_exactly_what_the_run_then_does_and_writes_nothing(
    history: History,
) -> None:
    with history.reads() as session:
        audit_rows = session.scalar(select(func.count(AuditLog.id)))
    dry = _run(history, dry_run=True)
    with history.reads() as session:
        assert session.scalar(select(func.count(Tombstone.id))) == 0
        assert session.scalar(select(func.count(AuditLog.id))) == audit_rows
        assert stored(session, history.expired) == WHOLE
    assert history.expired.path.exists()
    wet = _run(history)
    assert [g.expiry for g in dry.gone] == [g.expiry for g in wet.gone]
    assert dry.kept == wet.kept


def test_released_holds_and_resolved_complaints_let_the_next_run_delete(
    history: History,
) -> None:
    _run(history)
    with history.sessions.begin() as session:
        with pytest.raises(LegalHoldError, match="说明：请写明为何"):
            release_legal_hold(session, 1, "admin1", " ", LATER)
        release_legal_hold(session, 1, "admin1", "争议已解决", LATER)
        complaint = session.get_one(Complaint, 1)
        complaint.status = ComplaintStatus.RESOLVED
    _run(history, at=LATER + timedelta(days=1))
    with history.reads() as session:
        assert stored(session, history.disputed) == GONE
        assert stored(session, history.complained) == GONE
        assert stored(session, history.young) == WHOLE
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[0] == "legal_hold.place" and "legal_hold.release" in actions
    assert not history.disputed.path.exists()


def test_a_run_that_dies_mid_batch_leaves_the_batch_untouched_and_a_rerun_completes(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    deleters = dict(store.retention_delete._DELETERS)

    def dies(*args: object) -> object:
        raise RuntimeError("killed")

    # The transcript, recording and note have been deleted in the transaction by then.
    monkeypatch.setitem(store.retention_delete._DELETERS, Kind.ATTEMPT, dies)
    with pytest.raises(RuntimeError, match="killed"):
        _run(history)
    with history.reads() as session:
        assert stored(session, history.expired) == WHOLE
        assert session.scalar(select(func.count(Tombstone.id))) == 0
    assert history.expired.path.exists()
    monkeypatch.setitem(store.retention_delete._DELETERS, Kind.ATTEMPT, deleters[Kind.ATTEMPT])
    _run(history)
    with history.reads() as session:
        assert stored(session, history.expired) == GONE
    assert not history.expired.path.exists()


def test_a_run_that_dies_before_the_files_has_the_next_run_remove_them(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = store.retention.finish_files
    calls: list[int] = []

    def dies_after_commit(*args: object) -> tuple[int, int]:
        calls.append(1)
        if len(calls) > 1:  # the first call tidies up before the run; the second follows it
            raise RuntimeError("killed")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(store.retention, "finish_files", dies_after_commit)
    with pytest.raises(RuntimeError, match="killed"):
        _run(history)
    with history.reads() as session:
        assert stored(session, history.expired) == GONE
        pending = session.scalars(select(Tombstone).where(Tombstone.kind == Kind.RECORDING))
        assert [t.file_removed_at for t in pending] == [None]
    assert history.expired.path.exists()
    monkeypatch.setattr(store.retention, "finish_files", real)
    report = _run(history, at=LATER + timedelta(hours=1))
    assert report.files_finished == 1 and report.gone == []
    assert not history.expired.path.exists()


def test_a_file_two_calls_share_stays_until_the_last_row_goes(
    history: History,
) -> None:
    with history.sessions.begin() as session:
        twin = add_call(session, history.archive, "icbc", "T-1", BORN, audio=b"RIFFA-1")
        place_legal_hold(session, "T-1", LegalHoldReason.ADMIN, "监管调阅", "admin1", BORN)
    assert twin.path == history.expired.path
    report = _run(history)
    assert report.files_shared == 1 and report.files_removed == 0
    assert twin.path.exists()
    with history.reads() as session:
        assert session.get(Recording, twin.recording_id) is not None
        mark = session.scalars(select(Tombstone).where(Tombstone.kind == Kind.RECORDING)).one()
        assert mark.detail["file_kept_for"] == twin.recording_id


def test_a_recording_imported_without_a_call_follows_the_default_periods(
    history: History,
) -> None:
    loose = history.archive / "loose.wav"
    loose.write_bytes(b"RIFFloose")
    with history.sessions.begin() as session:
        row = Recording(
            sha256=hashlib.sha256(b"RIFFloose").hexdigest(),
            path=str(loose),
            size_bytes=9,
            status=RecordingStatus.STORED,
            created_at=BORN,
        )
        session.add(row)
        session.flush()
        loose_id = row.id
    report = _run(history)
    assert not loose.exists()
    gone = [g for g in report.gone if g.expiry.ref == Ref(Kind.RECORDING, loose_id)]
    assert [(g.item.case_id, g.item.bank, g.expiry.rule) for g in gone] == [
        (None, None, "default.recordings_days = 1000")
    ]


def test_a_transcript_a_do_not_call_entry_points_at_is_kept_as_its_evidence(
    history: History,
) -> None:
    with history.sessions.begin() as session:
        flag = session.scalars(
            select(Flag.id).where(Flag.recording_id == history.expired.recording_id)
        ).one()
        session.add(
            DoNotCall(
                e164="+8613900000000", reason="第三方要求", source_flag_id=flag, created_by="qa1"
            )
        )
    report = _run(history)
    with history.reads() as session:
        assert stored(session, history.expired) == {**WHOLE, "note": 0}
    kept = {str(k.ref): k.why for k in report.kept}
    assert kept[f"transcript#{history.expired.recording_id}"] == "evidence of do-not-call #1"
    assert history.expired.path.exists()


@pytest.mark.parametrize("when", ["mid-batch", "before-files"])
def test_a_run_killed_leaves_nothing_half_deleted_and_the_next_run_completes(
    history: History, db_url: str, when: str
) -> None:
    child = subprocess.run(
        [sys.executable, "-m", "tests.retention_child", db_url, when, LATER.isoformat()],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()
    with history.reads() as session:
        marks = tombstones(session)
        if when == "mid-batch":
            assert stored(session, history.expired) == WHOLE and marks == []
        else:
            assert stored(session, history.expired) == GONE
            assert [t.file_removed_at for t in marks if t.kind is Kind.RECORDING] == [None]
    assert history.expired.path.exists()  # the file never goes before its row
    _run(history, at=LATER + timedelta(hours=1))
    with history.reads() as session:
        assert stored(session, history.expired) == GONE
        marks = tombstones(session)
        assert len(marks) == 6  # the icbc call's four things, the cmb transcript and note
        assert all(t.file_removed_at is not None for t in marks if t.kind is Kind.RECORDING)
    assert not history.expired.path.exists()
    assert verify(history.reads).broken is None


def test_a_sealed_recordings_wrapped_key_goes_with_its_file(history: History) -> None:
    # The key beside a sealed file (<sha256>.key), and a killed copy's partial file, were left
    # behind when its recording went: together they open part of the audio.
    h = history
    sealed = h.expired.path.with_suffix(SEALED_SUFFIX)
    h.expired.path.rename(sealed)
    key = key_path(sealed)
    key.write_text('{"wrapped": "…"}', encoding="utf-8")
    # What a copy killed mid-write (keys encrypt-archive under kill -9) leaves beside it.
    stale = sealed.with_name(f".{sealed.name}.4068.partial")
    stale.write_bytes(b"CWA1 first sealed chunk")
    kept_key = h.young.path.with_suffix(KEY_SUFFIX)
    kept_key.write_text('{"wrapped": "…"}', encoding="utf-8")
    with h.sessions.begin() as session:
        session.get_one(Recording, h.expired.recording_id).path = str(sealed)
    report = _run(h)
    assert report.files_removed == 1
    assert not sealed.exists() and not key.exists() and not stale.exists()
    assert kept_key.exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_periods_for_a_bank_that_is_not_there_stop_the_run(history: History, dry_run: bool) -> None:
    # A mistyped code ([bank.CMB] for cmb) was taken silently, and cmb's audio then went
    # after the default 1000 days instead of the 1500 its section meant.
    typo = RetentionPeriods(PERIODS.default, {"CMB": {"recordings_days": 1500}}, "r.toml")
    with pytest.raises(RetentionError) as caught:
        run_retention(
            history.sessions, history.reads, typo, LATER, "admin1", remove_archived, dry_run
        )
    assert caught.value.problems == [
        "r.toml: bank.CMB: no client bank has this code (known: cmb, icbc)"
    ]
    with history.reads() as session:
        assert stored(session, history.cmb) == WHOLE
        assert tombstones(session) == []
