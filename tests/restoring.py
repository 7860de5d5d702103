"""The restore drill the backup tests share: back up, lose the database and the archive,
restore into service, and check that every piece of evidence is back as it was."""

from __future__ import annotations

import base64
import hashlib
import io
from pathlib import Path

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from console.app import App
from console.cli import main
from console.users import add_user
from store.enums import Role, Verdict
from store.models import AuditLog, CallAttempt, Flag, Recording, ReviewVerdict, User, Utterance
from store.qa import give_verdict
from store.types import utcnow


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out), out.getvalue()


def destroy(app: App) -> None:
    """The database and the archive gone, as after a lost disk."""
    url = app.settings.database_url()
    app.engine.dispose()
    if url.startswith("sqlite"):
        Path(make_url(url).database or "").unlink()
    else:
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
    for path in sorted(app.paths.recordings.rglob("*"), reverse=True):
        path.chmod(0o700)
        path.rmdir() if path.is_dir() else path.unlink()


def evidence(app: App) -> dict[str, set[tuple[object, ...]]]:
    """What a restore must bring back: every call, recording (with its hash), utterance,
    flag, verdict and audit row (with its chain hash)."""
    queries = {
        "calls": select(CallAttempt.id, CallAttempt.status, CallAttempt.ended_at),
        "recordings": select(Recording.id, Recording.sha256, Recording.path),
        "utterances": select(Utterance.id, Utterance.recording_id, Utterance.text),
        "flags": select(Flag.id, Flag.recording_id, Flag.category),
        "verdicts": select(ReviewVerdict.id, ReviewVerdict.flag_id, ReviewVerdict.verdict),
        "audit": select(AuditLog.id, AuditLog.chain_hash),
    }
    with app.reads() as session:
        return {name: {tuple(row) for row in session.execute(q)} for name, q in queries.items()}


def a_verdict_on_each_flag(app: App) -> None:
    with app.sessions.begin() as session:
        qa = session.scalars(select(User).where(User.role == Role.QA)).first()
        if qa is None:
            qa = add_user(session, "drill-qa", Role.QA, "drill-password-1", "drill", None)
        for flag_id in session.scalars(select(Flag.id)).all():
            give_verdict(session, flag_id, qa, Verdict.SUGGESTION, "drill", utcnow())


def assert_no_master_key(app: App, restored: Path) -> None:
    """The snapshot restored in ``restored`` holds no master key: not the file, nor its
    text or bytes inside another file (the settings, the database copy)."""
    text = app.paths.master_key.read_bytes().strip()
    secret = base64.b64decode(text)
    for path in restored.rglob("*"):
        assert path.name != app.paths.master_key.name, path
        if path.is_file():
            data = path.read_bytes()
            assert text not in data and secret not in data, path


def restore_drill(app: App, target: Path) -> str:
    """Back up, destroy, ``restore latest TARGET --into-service``; asserts everything is back
    and verified, and returns the restore's output."""
    a_verdict_on_each_flag(app)
    before = evidence(app)
    for kind in ("calls", "recordings", "utterances", "flags", "verdicts"):
        assert before[kind], f"nothing to restore: no {kind}"
    code, out = cli("backup")
    assert code == 0, out
    destroy(app)

    code, out = cli("restore", "latest", str(target), "--into-service")
    assert code == 0, out
    assert "FAILED" not in out and "checked again in service" in out
    recordings = next(line for line in out.splitlines() if line.startswith("recordings: "))
    assert f"{len(before['recordings'])} recording(s), each sha256 as stored" in recordings
    assert_no_master_key(app, target)
    back = evidence(app)
    assert {k: v for k, v in back.items() if k != "audit"} == {
        k: v for k, v in before.items() if k != "audit"
    }
    # the backup's own row (backup.done) came after its copy; the restore adds one
    assert before["audit"] <= back["audit"]
    with app.reads() as session:
        added = [session.get(AuditLog, ident) for ident, _ in back["audit"] - before["audit"]]
    assert [row.action for row in added if row] == ["backup.reinstated"]
    code, said = cli("audit", "verify")
    assert code == 0, said
    for _, sha256, path in before["recordings"]:  # the archive serves them where rows say
        assert Path(str(path)).suffix == ".cwa"  # sealed, as by default
        plain = app.archive.read_all(Path(str(path)), str(sha256))
        assert hashlib.sha256(plain).hexdigest() == sha256
    return out
