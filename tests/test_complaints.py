"""The complaint register (投诉): a complaint opened from a callee's flagged complaint links the
case's calls in the window and holds the case; resolving lifts only its own hold; the evidence
bundle matches the database file by file, and a tampered recording makes it refuse."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from compliance.complaints import ComplaintStatus, Grade
from config.settings import ArchiveSettings
from console.app import App, build_app
from console.cli import main
from recorder.keys import write_key_file
from store.audit import chain_head, verify
from store.enums import AttemptStatus, Direction, HoldReason, Verdict
from store.holds import clear_hold
from store.models import (
    AuditLog,
    CallAttempt,
    Case,
    CollectionNote,
    Complaint,
    Flag,
    Hold,
    Recording,
    ReviewVerdict,
    User,
    Utterance,
)
from tests.dbdata import debtor_targets
from tests.test_reservation import at, reserve
from tests.webdata import CALL_DAY, Seed, console_app, seed_console

ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Scene:
    seed: Seed
    case_id: int
    account_no: str
    flag_id: int
    """cw34's complaint_tendency flag (the callee said it)."""
    attempts: tuple[int, ...]
    """The case's attempts inside the window: cw34's, cw07's and cw01's calls, a dial the
    policy blocked."""
    old_attempt: int
    """An attempt on the case a month before, outside the window."""


@pytest.fixture
def scene(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Scene]:
    """The scene; ``indirect`` "sealed" archives its recordings sealed (``[archive] encrypt``)."""
    app = console_app(db_url, tmp_path / "var")
    if getattr(request, "param", "clear") == "sealed":
        app.engine.dispose()
        app = _sealing_app(app, tmp_path / "master.key", monkeypatch)
    # The first three calls go to the first case's three numbers, cw11 to the next case.
    seed = seed_console(app, ["cw34", "cw07", "cw01", "cw11"])
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", db_url)
    monkeypatch.setenv("CALLWARDEN_PATHS_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    with app.sessions.begin() as session:
        call = session.get_one(CallAttempt, seed.attempts["cw34"])
        flag = session.scalars(
            select(Flag).where(
                Flag.recording_id == seed.recordings["cw34"],
                Flag.category == "complaint_tendency",
            )
        ).one()
        blocked = _attempt(session, call, CALL_DAY + timedelta(hours=2), AttemptStatus.BLOCKED)
        old = _attempt(session, call, CALL_DAY - timedelta(days=30), AttemptStatus.NO_ANSWER)
        session.add(
            CollectionNote(
                case_id=call.case_id,
                call_attempt_id=call.id,
                agent_id=call.agent_id,
                outcome="complaint",
                text="客户表示要投诉 / the debtor said they would complain",
                created_at=CALL_DAY + timedelta(minutes=5),
            )
        )
        reviewer = session.scalars(select(User).where(User.username == "qa1")).one()
        session.add(
            ReviewVerdict(
                flag_id=flag.id, reviewer_id=reviewer.id, verdict=Verdict.SUGGESTION, note="回访"
            )
        )
        case_id, account = call.case_id, _account(session, call.case_id)
        ours = (call.id, seed.attempts["cw07"], seed.attempts["cw01"], blocked)
        assert {session.get_one(CallAttempt, i).case_id for i in ours} == {case_id}
        assert session.get_one(CallAttempt, seed.attempts["cw11"]).case_id != case_id
        scene = Scene(seed, case_id, account, flag.id, ours, old)
    yield scene
    app.engine.dispose()


def _sealing_app(clear: App, key: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    write_key_file(key)
    monkeypatch.setenv("CALLWARDEN_ARCHIVE_ENCRYPT", "true")
    monkeypatch.setenv("CALLWARDEN_ARCHIVE_KEY_FILE", str(key))
    archive = ArchiveSettings(encrypt=True, key_file=key)
    return build_app(clear.settings.model_copy(update={"archive": archive}))


def _attempt(session: Any, like: CallAttempt, at: Any, status: AttemptStatus) -> int:
    row = CallAttempt(
        case_id=like.case_id,
        person_id=like.person_id,
        phone_number_id=like.phone_number_id,
        e164=like.e164,
        agent_id=like.agent_id,
        direction=Direction.OUTBOUND,
        status=status,
        reserved_at=at,
        ended_at=at + timedelta(seconds=30),
        ruleset_version="cn-default@test",
        rule_id="law.hold" if status is AttemptStatus.BLOCKED else None,
        decision_reason="此案停催 / collection on this case is on hold",
        counters_seen={"person_day": 1, "number_day": 1},
    )
    session.add(row)
    session.flush()
    return int(row.id)


def _account(session: Any, case_id: int) -> str:
    return str(session.get_one(Case, case_id).account_no)


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(args), out)
    return code, out.getvalue()


def _open_from_flag(scene: Scene) -> int:
    code, said = cli(
        "complaint", "open", scene.account_no,
        "--channel", "phone",
        "--alleged", "催收员威胁要上门 / the collector threatened to visit",
        "--flag", str(scene.flag_id),
        "--from", (CALL_DAY - timedelta(days=1)).date().isoformat(),
        "--actor", "qa1",
    )  # fmt: skip
    assert code == 0, said
    assert "常规" in said and "on hold" in said
    with scene.seed.app.sessions() as session:
        return int(session.scalars(select(Complaint.id)).one())


def _linked(scene: Scene) -> list[int]:
    """The recordings of the case's calls."""
    return sorted(scene.seed.recordings[c] for c in ("cw34", "cw07", "cw01"))


def open_holds(scene: Scene) -> dict[HoldReason, int]:
    with scene.seed.app.sessions() as session:
        rows = session.scalars(
            select(Hold).where(Hold.case_id == scene.case_id, Hold.cleared_at.is_(None))
        ).all()
        return {h.reason: h.id for h in rows}


def test_a_complaint_opened_from_a_flagged_call_links_the_window_and_holds_the_case(
    scene: Scene,
) -> None:
    # The detector's hold (投诉倾向) is already on the case, from the flag itself.
    assert set(open_holds(scene)) == {HoldReason.COMPLAINT_TENDENCY}
    ident = _open_from_flag(scene)
    holds = open_holds(scene)
    assert set(holds) == {HoldReason.COMPLAINT_TENDENCY, HoldReason.COMPLAINT}
    app = scene.seed.app
    with app.sessions() as session:
        complaint = session.get_one(Complaint, ident)
        assert (complaint.grade, complaint.derived_grade) == (Grade.ROUTINE, Grade.ROUTINE)
        assert complaint.hold_id == holds[HoldReason.COMPLAINT]
        # the hold's reason names it (投诉处理中); its detail is the complaint, in no language
        assert session.get_one(Hold, complaint.hold_id).detail == f"#{ident}"
        assert complaint.source_flag_id == scene.flag_id
        assert complaint.status is ComplaintStatus.OPEN
        opened_on = complaint.opened_at.astimezone(ZoneInfo(ZONE)).date()
        assert complaint.due_on == opened_on + timedelta(days=7)
        flags = set(session.scalars(select(Flag.id).where(Flag.recording_id.in_(_linked(scene)))))
        notes = set(session.scalars(select(CollectionNote.id)))
    code, shown = cli("complaint", "show", str(ident))
    assert code == 0
    lines = dict(line.strip().split(": ", 1) for line in shown.splitlines()[1:])
    # Every attempt in the window (the old one is not), the call's recording, its flags, the note.
    assert lines["call_attempt"] == ", ".join(map(str, sorted(scene.attempts)))
    assert str(scene.old_attempt) not in lines["call_attempt"].split(", ")
    assert lines["recording"] == ", ".join(map(str, _linked(scene)))
    assert set(map(int, lines["flag"].split(", "))) == flags
    assert set(map(int, lines["note"].split(", "))) == notes
    code, listed = cli("complaint", "list", "--status", "open")
    assert code == 0 and f"#{ident}" in listed and scene.account_no in listed


def test_regrading_moves_the_due_day_and_resolving_lifts_only_its_own_hold(scene: Scene) -> None:
    ident = _open_from_flag(scene)
    assert cli("complaint", "grade", str(ident), "serious")[0] == 0
    with scene.seed.app.sessions() as session:
        complaint = session.get_one(Complaint, ident)
        assert (complaint.grade, complaint.derived_grade) == (Grade.SERIOUS, Grade.ROUTINE)
        opened_on = complaint.opened_at.astimezone(ZoneInfo(ZONE)).date()
        assert complaint.due_on == opened_on + timedelta(days=1)
    code, said = cli("complaint", "resolve", str(ident), "--resolution", " ", "--bank-told")
    assert code == 1  # refused, and nothing changed
    assert HoldReason.COMPLAINT in open_holds(scene)
    code, said = cli(
        "complaint", "resolve", str(ident), "--resolution", "已回访并致歉", "--bank-told"
    )
    assert code == 0, said
    # The detector's hold stays: an admin lifts it with their own reason.
    assert set(open_holds(scene)) == {HoldReason.COMPLAINT_TENDENCY}
    with scene.seed.app.sessions() as session:
        complaint = session.get_one(Complaint, ident)
        assert complaint.status is ComplaintStatus.RESOLVED and complaint.bank_told
        assert complaint.resolution == "已回访并致歉"
        # cleared with the complaint's resolution, in the words the handler wrote (no English)
        assert session.get_one(Hold, complaint.hold_id).clear_note == f"#{ident}: 已回访并致歉"
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[-4:] == ["complaint.open", "complaint.grade", "hold.clear", "complaint.resolve"]
    assert cli("complaint", "resolve", str(ident), "--resolution", "again")[0] == 1
    assert verify(scene.seed.app.reads).broken is None


def test_bad_values_are_refused_naming_the_field(scene: Scene) -> None:
    code, _ = cli("complaint", "open", "NO-SUCH", "--channel", "phone", "--alleged", "x")
    assert code == 1
    code, _ = cli("complaint", "open", scene.account_no, "--channel", "phone", "--alleged", "  ")
    assert code == 1
    other_flag = _other_flag(scene)
    code, _ = cli(
        "complaint", "open", scene.account_no, "--channel", "phone", "--alleged", "x",
        "--flag", str(other_flag),
    )  # fmt: skip
    assert code == 1
    with scene.seed.app.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Complaint)) == 0
        assert session.scalar(select(func.count()).where(Hold.reason == HoldReason.COMPLAINT)) == 0


def _other_flag(scene: Scene) -> int:
    with scene.seed.app.sessions() as session:
        return int(
            session.scalars(
                select(Flag.id).where(Flag.recording_id == scene.seed.recordings["cw11"])
            ).first()
            or 0
        )


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("scene", ["clear", "sealed"], indirect=True)
def test_the_bundle_matches_the_database_file_by_file(scene: Scene) -> None:
    ident = _open_from_flag(scene)
    app = scene.seed.app
    head_before = chain_head(app.reads)
    code, said = cli("complaint", "bundle", str(ident), "-o", "evidence.zip")
    assert code == 0, said
    files = _members(Path("evidence.zip"))
    manifest = json.loads(files.pop("manifest.json"))
    # The manifest: every other member, each with its sha256 and size; the complaint; the head.
    assert {e["name"] for e in manifest["files"]} == set(files)
    for entry in manifest["files"]:
        body = files[entry["name"]]
        assert hashlib.sha256(body).hexdigest() == entry["sha256"], entry["name"]
        assert len(body) == entry["bytes"]
    assert manifest["audit_head"] == str(head_before)
    assert all(".." not in name and not name.startswith("/") for name in files)
    with app.sessions() as session:
        complaint = session.get_one(Complaint, ident)
        assert manifest["complaint"]["id"] == ident
        assert manifest["complaint"]["alleged"] == complaint.alleged
        assert manifest["complaint"]["hold_id"] == complaint.hold_id
        _check_attempts(session, json.loads(files["attempts.json"]), scene.attempts)
        for recording in _linked(scene):
            _check_recording(session, files, recording)
        assert [r["id"] for r in json.loads(files["recordings.json"])] == _linked(scene)
        _check_flags(session, json.loads(files["flags.json"]), _linked(scene))
        notes = json.loads(files["notes.json"])
        stored_notes = session.scalars(select(CollectionNote).order_by(CollectionNote.id)).all()
        assert [(n["id"], n["text"]) for n in notes] == [(n.id, n.text) for n in stored_notes]
        holds = json.loads(files["holds.json"])
        stored_holds = session.scalars(
            select(Hold).where(Hold.case_id == scene.case_id).order_by(Hold.id)
        ).all()
        assert [(h["id"], h["reason"]) for h in holds] == [
            (h.id, h.reason.value) for h in stored_holds
        ]
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "complaint.bundle")).one()
    zip_sha = hashlib.sha256(Path("evidence.zip").read_bytes()).hexdigest()
    assert audit.object_id == str(ident) and audit.detail["sha256"] == zip_sha
    assert audit.detail["audit_head"] == str(head_before)
    assert os.stat("evidence.zip").st_mode & 0o077 == 0  # residents' data: the owner's alone


def _check_attempts(session: Any, found: list[dict[str, Any]], expected: tuple[int, ...]) -> None:
    """Every attempt's policy decision, as stored."""
    assert [a["id"] for a in found] == sorted(expected)
    for listed in found:
        row = session.get_one(CallAttempt, listed["id"])
        for key in ("status", "rule_id", "ruleset_version", "decision_reason", "e164"):
            stored = getattr(row, key)
            assert listed[key] == (stored.value if hasattr(stored, "value") else stored), key
        assert listed["counters_seen"] == row.counters_seen
        assert listed["reserved_at"] == row.reserved_at.isoformat()
    assert any(a["rule_id"] == "law.hold" and a["status"] == "blocked" for a in found)


def _check_recording(session: Any, files: dict[str, bytes], recording_id: int) -> None:
    """The recording, byte for byte, and every utterance of its transcript."""
    recording = session.get_one(Recording, recording_id)
    audio = files[f"recordings/recording-{recording.id}-{recording.sha256[:12]}.wav"]
    # the plain audio as stored (a sealed archive's file is decrypted into the bundle)
    assert hashlib.sha256(audio).hexdigest() == recording.sha256
    assert len(audio) == recording.size_bytes and audio[:4] == b"RIFF"
    assert hashlib.sha256(audio).hexdigest() == recording.sha256
    transcript = json.loads(files[f"transcripts/recording-{recording.id}.json"])
    stored = session.scalars(
        select(Utterance)
        .where(Utterance.recording_id == recording.id)
        .order_by(Utterance.start_s, Utterance.id)
    ).all()
    assert stored
    assert [
        (u["speaker"], u["start_s"], u["end_s"], u["text"]) for u in transcript["utterances"]
    ] == [(u.speaker.value, u.start_s, u.end_s, u.text) for u in stored]
    listed = {r["id"]: r for r in json.loads(files["recordings.json"])}
    assert listed[recording.id]["sha256"] == recording.sha256


def _check_flags(session: Any, found: list[dict[str, Any]], recordings: list[int]) -> None:
    """Every flag of the linked calls, with its verdicts."""
    stored = session.scalars(
        select(Flag).where(Flag.recording_id.in_(recordings)).order_by(Flag.id)
    ).all()
    assert {f.category for f in stored} >= {"complaint_tendency", "impersonation"}
    assert [(f["id"], f["category"], f["rule_id"], f["evidence"]) for f in found] == [
        (f.id, f.category, f.rule_id, f.evidence) for f in stored
    ]
    complaint = next(f for f in found if f["category"] == "complaint_tendency")
    assert [(v["verdict"], v["reviewer"], v["note"]) for v in complaint["verdicts"]] == [
        ("suggestion", "qa1", "回访")
    ]


@pytest.mark.parametrize("scene", ["clear", "sealed"], indirect=True)
def test_a_tampered_recording_makes_the_bundle_refuse(scene: Scene) -> None:
    ident = _open_from_flag(scene)
    with scene.seed.app.sessions() as session:
        path = Path(session.get_one(Recording, scene.seed.recordings["cw34"]).path)
    path.chmod(0o600)  # the archive keeps its files read-only; someone got round it
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # one byte of audio
    path.write_bytes(bytes(data))
    code, _ = cli("complaint", "bundle", str(ident), "-o", "evidence.zip")
    assert code == 1
    assert not Path("evidence.zip").exists()
    assert list(Path().glob("*.partial")) == []
    with scene.seed.app.sessions() as session:
        assert (
            session.scalar(select(func.count()).where(AuditLog.action == "complaint.bundle")) == 0
        )


def test_a_tampered_recording_is_named_in_the_refusal(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    ident = _open_from_flag(scene)
    with scene.seed.app.sessions() as session:
        recording = session.get_one(Recording, scene.seed.recordings["cw34"])
        path, rid = Path(recording.path), recording.id
    path.chmod(0o600)
    with path.open("ab") as handle:
        handle.write(b"\0")
    capsys.readouterr()
    assert cli("complaint", "bundle", str(ident))[0] == 1
    said = capsys.readouterr().err
    assert f"录音 {rid}：与存档时记录的不一致（被改动或损坏）" in said
    assert not Path(f"complaint-{ident}-evidence.zip").exists()


def test_the_complaints_hold_alone_stops_the_dialler_until_it_is_resolved(scene: Scene) -> None:
    ident = _open_from_flag(scene)
    sessions = scene.seed.app.sessions
    with sessions.begin() as session:  # an admin lifts the detector's hold; the complaint's stays
        clear_hold(
            session, open_holds(scene)[HoldReason.COMPLAINT_TENDENCY], "admin1", "核实", CALL_DAY
        )
    target = next(t for t in debtor_targets(sessions) if t.case_id == scene.case_id)
    _, allowed, rule = reserve(sessions, target, at(10, day=3))
    assert (allowed, rule) == (False, "law.hold")
    assert cli("complaint", "resolve", str(ident), "--resolution", "已办结")[0] == 0
    _, allowed, rule = reserve(sessions, target, at(10, day=4))
    assert rule != "law.hold"
