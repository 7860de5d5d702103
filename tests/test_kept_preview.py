"""``schedule preview`` reads the kept rows when asked for now and they may be served, and
computes otherwise; it says which, and why."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from console import schedule_cmd
from console.app import App
from dialer.keeper import keep_once
from tests.webdata import CALL_DAY, console_app, seed_console

AT = "2026-12-01 10:00"
"""CALL_DAY on the centre's clock."""


@pytest.fixture
def app(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    app = console_app(db_url, tmp_path / "var")
    seed_console(app, [])
    monkeypatch.setattr(schedule_cmd, "utcnow", lambda: CALL_DAY)  # "now" is the call day
    yield app
    app.engine.dispose()


def preview(
    app: App, capsys: pytest.CaptureFixture[str], *, at: str | None = None, agent: str | None = None
) -> tuple[dict[str, Any], str]:
    """The JSON document and what was said on stderr."""
    args = argparse.Namespace(at=at, agent=agent, profile=None, json=True, limit=50)
    out = io.StringIO()
    assert schedule_cmd.cmd_schedule_preview(app, args, out) == 0
    return json.loads(out.getvalue()), capsys.readouterr().err


def dialable(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    keys = ("case", "number", "agent", "rule", "reason", "due_by")
    return [tuple(item[key] for key in keys) for item in doc["dialable"]]


def test_now_reads_the_kept_rows_once_the_owner_has_kept_them(
    app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    before, said = preview(app, capsys)
    assert before["source"] == "computed" and before["computed_because"] == "还没有保存的排程"
    assert "computed (还没有保存的排程)" in said
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)
    doc, said = preview(app, capsys)
    assert doc["source"] == "kept" and doc["blocked"] is None
    assert "read from the kept schedule" in said
    assert dialable(doc) == dialable(before) != []


def test_one_agents_kept_rows(app: App, capsys: pytest.CaptureFixture[str]) -> None:
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)
    doc, _ = preview(app, capsys, agent="A02")
    computed, _ = preview(app, capsys, at=AT, agent="A02")
    assert doc["source"] == "kept" and {item["agent"] for item in doc["dialable"]} == {"A02"}
    assert dialable(doc) == dialable(computed)


def test_another_instant_or_stale_rows_are_computed(
    app: App, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)
    doc, said = preview(app, capsys, at=AT)
    assert doc["source"] == "computed" and isinstance(doc["blocked"], list)
    assert "computed (an instant was asked for (--at))" in said
    later = datetime(2026, 12, 2, 2, 0, tzinfo=CALL_DAY.tzinfo)  # past the rows' valid_until
    monkeypatch.setattr(schedule_cmd, "utcnow", lambda: later)
    doc, said = preview(app, capsys)
    assert doc["computed_because"] == "保存的排程不是此时刻的"
    assert "computed (保存的排程不是此时刻的)" in said


def test_text_says_the_blocked_numbers_are_not_kept(
    app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)
    args = argparse.Namespace(at=None, agent=None, profile=None, json=False, limit=3)
    out = io.StringIO()
    assert schedule_cmd.cmd_schedule_preview(app, args, out) == 0
    lines = out.getvalue().splitlines()
    assert "dialable (kept schedule; blocked numbers are not kept: --at computes them)" in lines[0]
    assert len(lines) == 5 and lines[-1].startswith("  … ") and lines[-1].endswith("more dialable")
