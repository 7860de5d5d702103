"""The agent's worklist page reads the kept schedule, and computes (saying so) only when the
kept rows may not be served; an attempt's outcome shows after one pass of the owner."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from console import worklists
from dialer.keeper import keep_once
from dialer.worklist_source import active_agents
from store import kept_schedule as kept
from store.models import ScheduleMark
from tests.test_cli import run
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, Seed, console_app, seed_console

OFFERED = re.compile(
    r'name="phone_number_id" value="(\d+)"><input type="hidden" name="case_id" value="(\d+)"'
)


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


def owner_pass(seed: Seed) -> None:
    app = seed.app
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)


def never(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the page built the schedule although the kept rows were fresh")


def test_the_page_reads_fresh_kept_rows_and_builds_nothing(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = console_client(seed.app, FakeDialer(seed.app))
    login(client, "agent2")
    computed = client.get("/agent").text
    assert "本页现算：还没有保存的排程" in computed
    owner_pass(seed)
    monkeypatch.setattr(worklists, "build_worklists", never)
    page = client.get("/agent")
    assert page.status_code == 200 and "本页现算" not in page.text
    assert OFFERED.findall(page.text) == OFFERED.findall(computed) != []


def test_an_outcome_shows_in_the_agents_next_worklist_after_one_owner_pass(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialer = FakeDialer(seed.app)
    client = console_client(seed.app, dialer)
    token = login(client, "agent2")
    owner_pass(seed)
    number, case = OFFERED.findall(client.get("/agent").text)[0]
    dialled = client.post(
        "/agent/dial", data={"phone_number_id": number, "case_id": case, "csrf": token}
    )
    assert dialled.status_code == 303 and len(dialer.requests) == 1
    attempt = re.search(r'name="attempt_id" value="(\d+)"', client.get("/agent").text)
    assert attempt is not None
    note = {"attempt_id": attempt.group(1), "outcome": "negotiating", "text": "ok", "csrf": token}
    assert client.post("/agent/notes", data=note).status_code == 303
    owner_pass(seed)
    monkeypatch.setattr(worklists, "build_worklists", never)
    page = client.get("/agent").text
    assert "本页现算" not in page
    # Answered: the case is no longer a first call (the connected cap allows 3 a day, so
    # its debtor may still be offered), and its row says what happened.
    row = page[page.index(f'id="case-{case}"') :]
    row = row[: row.index("</tbody>")]
    assert "常规跟进" in row and "首次外呼期限" not in row
    assert "已接通 · 协商中" in row


def test_marks_waiting_past_the_lag_or_another_instant_are_not_served(seed: Seed) -> None:
    owner_pass(seed)
    profile = seed.app.profile()
    with seed.app.sessions.begin() as session:
        agents = active_agents(session)
        assert kept.problem(session, profile.ruleset, agents, CALL_DAY, wall_now=CALL_DAY) is None
        state = kept.state(session)
        assert state is not None
        later = state.valid_until
        assert kept.problem(session, profile.ruleset, agents, later, wall_now=CALL_DAY) is not None
        assert kept.problem(session, "other", agents, CALL_DAY, wall_now=CALL_DAY) is not None
        session.add(ScheduleMark(created_at=CALL_DAY))
    with seed.app.reads() as session:
        wall = CALL_DAY + kept.DEFAULT_LAG + timedelta(seconds=1)
        waiting = kept.problem(session, profile.ruleset, agents, CALL_DAY, wall_now=wall)
    assert waiting is not None and "排程维护进程" in str(waiting)


def test_schedule_keep_once_writes_the_kept_schedule(db_url: str, tmp_path: Path) -> None:
    app = console_app(db_url, tmp_path / "var")
    seed_console(app, [])
    result = run(["schedule", "keep", "--once"], tmp_path, db_url)
    assert result.returncode == 0, result.stderr
    assert "schedule kept (first build)" in result.stdout
    with app.reads() as session:
        state = kept.state(session)
        assert state is not None and state.entries == len(
            kept.all_items(session)
        )  # real now: may be 0
    again = run(["schedule", "keep", "--once"], tmp_path, db_url)
    assert again.returncode == 0 and "schedule kept" not in again.stdout  # nothing changed
    app.engine.dispose()
