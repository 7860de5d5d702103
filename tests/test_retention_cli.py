"""``callwarden retention``: the dry run prints line for line what the run then deletes, a hold
placed and released on the command line is audit-logged and obeyed, a real run refuses to
look ahead of the clock, and an admin's periods file under two years stops it (exit 3)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from config.settings import DatabaseSettings, PathSettings, Settings
from console.app import build_app
from console.cli import main
from store.audit import verify
from store.db import SessionFactory, make_read_session_factory
from store.models import AuditLog, Tombstone
from tests.retentiondata import BORN, Call, add_call, stored

AT = "2026-03-06T10:00:00+08:00"
"""Just over 1100 days after BORN: past the admin's periods below (shorter than the shipped
ones, still over two years), and before today, as a real run needs."""
ADMIN_PERIODS = """
[default]
recordings_days = 1000
transcripts_days = 1000
notes_days = 1100
attempts_days = 1100
"""


@dataclass(frozen=True)
class Scene:
    var: Path
    reads: SessionFactory
    old: Call
    held: Call


@pytest.fixture
def scene(
    db_url: str,
    engine: Engine,
    sessions: SessionFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Scene]:
    var = tmp_path / "var"
    (var / "retention").mkdir(parents=True)
    (var / "retention" / "retention.toml").write_text(ADMIN_PERIODS, encoding="utf-8")
    with sessions.begin() as session:
        old = add_call(session, var / "recordings", "icbc", "A-1", BORN)
        held = add_call(session, var / "recordings", "icbc", "H-1", BORN)
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", db_url)
    monkeypatch.setenv("CALLWARDEN_PATHS_VAR_DIR", str(var))
    monkeypatch.chdir(tmp_path)
    yield Scene(var, make_read_session_factory(engine), old, held)


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_dry_run_prints_what_the_run_deletes_and_holds_are_obeyed(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    code, said = _cli("retention", "hold", "H-1", "--reason", "dispute", "--detail", "诉讼中")
    assert code == 0 and "legal hold #1 placed" in said
    assert _cli("retention", "hold", "H-1", "--reason", "admin", "--detail", " ")[0] == 1
    assert "请写明为何须保留这些记录" in capsys.readouterr().err
    assert "诉讼中" in _cli("retention", "holds")[1]

    code, dry = _cli("retention", "run", "--dry-run", "--at", AT)
    assert code == 0
    with scene.reads() as session:
        assert session.scalar(select(func.count(Tombstone.id))) == 0
    code, wet = _cli("retention", "run", "--at", AT, "--actor", "admin1")
    assert code == 0

    def deleted(text: str, verb: str) -> list[str]:
        return [
            line.split(verb, 1)[1].split("  tombstone #")[0]
            for line in text.splitlines()
            if verb in line
        ]

    would = deleted(dry, "would delete")
    assert would == deleted(wet, "/ deleted") and len(would) == 4
    assert {line.split()[0] for line in would} == {
        f"transcript#{scene.old.recording_id}",
        f"recording#{scene.old.recording_id}",
        f"note#{scene.old.note_id}",
        f"attempt#{scene.old.attempt_id}",
    }
    assert "legal hold #1 (dispute)" in wet
    assert str(scene.var / "retention" / "retention.toml") in wet
    with scene.reads() as session:
        assert set(stored(session, scene.old).values()) == {0}
        assert set(stored(session, scene.held).values()) != {0}
    assert not scene.old.path.exists() and scene.held.path.exists()

    assert _cli("retention", "release", "1", "--note", "判决已生效")[0] == 0
    assert _cli("retention", "run", "--at", AT)[0] == 0
    with scene.reads() as session:
        assert set(stored(session, scene.held).values()) == {0}
        actions = list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert actions == [
        "legal_hold.place",
        "retention.delete",
        "legal_hold.release",
        "retention.delete",
    ]
    assert verify(scene.reads).broken is None


def test_a_run_may_not_look_ahead_of_the_clock(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli("retention", "run", "--at", "2999-01-01 00:00")[0] == 2
    assert "may not look ahead" in capsys.readouterr().err
    code, said = _cli("retention", "run", "--dry-run", "--at", "2999-01-01 00:00")
    assert code == 0 and "would delete" in said
    with scene.reads() as session:
        assert set(stored(session, scene.old).values()) != {0}


def test_an_admins_period_under_two_years_stops_the_run(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    path = scene.var / "retention" / "retention.toml"
    path.write_text(ADMIN_PERIODS.replace("notes_days = 1100", "notes_days = 700"), "utf-8")
    assert _cli("retention", "run", "--dry-run")[0] == 3
    err = capsys.readouterr().err
    assert f"{path}: default.notes_days: 700 days is shorter than the 731 days" in err


def test_the_workers_run_retention_daily_at_half_past_three_on_the_centres_clock(
    scene: Scene, db_url: str
) -> None:
    settings = Settings(
        database=DatabaseSettings(url=db_url), paths=PathSettings(var_dir=scene.var)
    )
    app = build_app(settings)
    try:
        huey = app.queue().huey
        at_half_past_three = datetime(2026, 12, 1, 19, 30)  # UTC: 03:30 in Asia/Shanghai
        due = [t for t in huey.read_periodic(at_half_past_three) if t.name == "retention_run"]
        assert len(due) == 1
        later = huey.read_periodic(at_half_past_three + timedelta(minutes=1))
        assert "retention_run" not in {t.name for t in later}
        assert huey.execute(due[0]) == {"attempt": 2, "note": 2, "recording": 2, "transcript": 2}
        assert huey.execute(due[0]) == {}  # all that had expired went the first time
    finally:
        app.engine.dispose()
    assert not scene.old.path.exists() and not scene.held.path.exists()
    with scene.reads() as session:
        actors = set(session.scalars(select(Tombstone.deleted_by)))
    assert actors == {"worker:retention"}
