"""An agent's pause (暂停, issue 18 item 4): no call is placed for a paused agent, from the
console or a campaign; the wallboard shows who is paused, why and since when; pausing and
resuming are audit-logged and kept."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from console.errors import DialerBusy
from console.teams import set_supervisor
from console.users import add_user
from console.wallboard import AgentState, board
from console.web.dialing import DialRequest
from store.agent_pause import PauseError, current_pause, pause, resume
from store.enums import Role
from store.models import Agent, AgentPause, AuditLog, User
from store.team_day import day_window
from store.wallboard import floor_rows
from tests.test_kept_schedule_page import OFFERED
from tests.test_wallboard import Who
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, PASSWORD, Seed, console_app, seed_console


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


def _agent(seed: Seed, code: str = "A01") -> Agent:
    with seed.app.sessions() as session:
        return session.scalars(select(Agent).where(Agent.code == code)).one()


def _actions(seed: Seed) -> list[tuple[str, str, object]]:
    with seed.app.sessions() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action.like("agent.%")))
        return [(r.action, r.actor, (r.detail or {}).get("reason")) for r in rows]


def test_a_pause_is_kept_once_audited_and_ended(seed: Seed) -> None:
    agent = _agent(seed)
    with seed.app.sessions.begin() as session:
        with pytest.raises(PauseError, match="break、meal"):
            pause(session, agent, "nap", "agent1", CALL_DAY)
        first = pause(session, agent, "meal", "agent1", CALL_DAY)
        again = pause(session, agent, "break", "agent1", CALL_DAY + timedelta(minutes=1))
        assert again.id == first.id and again.reason == "meal"  # a double click starts nothing
    with seed.app.sessions.begin() as session:
        ended = resume(session, agent, "agent1", CALL_DAY + timedelta(minutes=30))
        assert ended is not None and current_pause(session, agent.id) is None
        assert resume(session, agent, "agent1", CALL_DAY + timedelta(minutes=31)) is None
    with seed.app.sessions() as session:
        kept = session.scalars(select(AgentPause)).one()
        assert kept.ended_at == CALL_DAY + timedelta(minutes=30)
    assert _actions(seed) == [("agent.pause", "agent1", "meal"), ("agent.resume", "agent1", "meal")]


def test_a_paused_agent_cannot_dial_until_they_resume(seed: Seed) -> None:
    dialer = FakeDialer(seed.app)
    client = console_client(seed.app, dialer)
    token = login(client, "agent1")
    offered = OFFERED.findall(client.get("/agent").text)
    assert offered
    paused = client.post("/agent/pause", data={"reason": "training", "csrf": token})
    assert paused.status_code == 303
    page = client.get("/agent").text
    assert "暂停中" in page and "培训" in page and 'action="/agent/resume"' in page
    # every dial button is off while paused (the D key presses only an enabled one)
    buttons = re.findall(
        r'<button type="submit"[^>]*(?:class="dial"|aria-keyshortcuts="D")[^>]*>', page
    )
    assert buttons and all("disabled" in b for b in buttons), buttons
    number, case = offered[0]
    refused = client.post(
        "/agent/dial", data={"phone_number_id": number, "case_id": case, "csrf": token}
    )
    assert refused.status_code == 409 and "暂停" in refused.text and not dialer.requests
    bad = client.post("/agent/pause", data={"reason": "<script>", "csrf": token})
    assert bad.status_code == 422 and "<script>" not in bad.text
    assert client.post("/agent/resume", data={"csrf": token}).status_code == 303
    dialled = client.post(
        "/agent/dial", data={"phone_number_id": number, "case_id": case, "csrf": token}
    )
    assert dialled.status_code == 303 and len(dialer.requests) == 1
    assert [a for a, _, _ in _actions(seed)] == ["agent.pause", "agent.resume"]


def test_the_wallboard_shows_who_is_paused_why_and_since_when(seed: Seed) -> None:
    agent = _agent(seed)
    with seed.app.sessions.begin() as session:
        pause(session, agent, "meeting", "agent1", CALL_DAY - timedelta(minutes=5))
    start, end = day_window(CALL_DAY, "Asia/Shanghai")
    with seed.app.reads() as session:
        shown = board(floor_rows(session, Who(0, Role.ADMIN), start, end))
    tile = next(t for t in shown.tiles if t.code == "A01")
    assert tile.state is AgentState.PAUSED
    assert tile.since == CALL_DAY - timedelta(minutes=5)
    assert (tile.as_json()["state"], tile.as_json()["pause_reason"]) == ("paused", "meeting")
    client = console_client(seed.app, FakeDialer(seed.app))
    login(client, "admin1")
    assert "暂停中（会议）" in client.get("/team/live").text  # the reader's language: Chinese
    with seed.app.sessions.begin() as session:
        session.execute(update(User).where(User.username == "admin1").values(locale="en"))
    english = console_client(seed.app, FakeDialer(seed.app))
    login(english, "admin1")
    page = english.get("/team/live").text
    assert "Paused (Meeting)" in page and "（" not in page.split('id="agents"')[1][:3000]
    others = [t.state for t in shown.tiles if t.code != "A01"]
    assert AgentState.PAUSED not in others


def test_two_pauses_sent_at_once_open_one_pause(seed: Seed) -> None:
    """A double click reaches two workers: the second waits for the first's pause and keeps it
    (two open pauses would leave the agent paused after they resume)."""
    agent = _agent(seed)
    second: list[int] = []

    def other_click() -> None:
        with seed.app.sessions.begin() as session:
            second.append(pause(session, agent, "break", "agent1", CALL_DAY).id)

    with seed.app.sessions.begin() as session:
        first = pause(session, agent, "meal", "agent1", CALL_DAY).id
        racing = threading.Thread(target=other_click)
        racing.start()
        racing.join(1.0)  # it reads, and writes, while this click is not yet committed
    racing.join(30)
    assert second == [first]
    with seed.app.sessions.begin() as session:
        resume(session, agent, "agent1", CALL_DAY + timedelta(minutes=30))
    with seed.app.sessions() as session:
        assert current_pause(session, agent.id) is None
        assert session.scalar(select(func.count()).select_from(AgentPause)) == 1


def test_two_resumes_sent_at_once_end_the_pause_once(seed: Seed) -> None:
    """The second click of a double click finds the pause already ended: one audit row, and
    the instant it ended is the first click's."""
    agent = _agent(seed)
    ended = CALL_DAY + timedelta(minutes=30)
    with seed.app.sessions.begin() as session:
        pause(session, agent, "meal", "agent1", CALL_DAY)
    second: list[object] = []

    def other_click() -> None:
        with seed.app.sessions.begin() as session:
            second.append(resume(session, agent, "agent1", ended + timedelta(seconds=1)))

    with seed.app.sessions.begin() as session:
        assert resume(session, agent, "agent1", ended) is not None
        racing = threading.Thread(target=other_click)
        racing.start()
        racing.join(1.0)  # it reads while this click is not yet committed
    racing.join(30)
    assert second == [None]
    with seed.app.sessions() as session:
        assert session.scalars(select(AgentPause.ended_at)).one() == ended
    assert [a for a, _, _ in _actions(seed)] == ["agent.pause", "agent.resume"]


class RacedDialer(FakeDialer):
    """Another agent's call took the console's only line between the check and the dial."""

    def dial(self, request: DialRequest) -> None:
        raise DialerBusy("正在拨打一通电话，请等它结束")


def test_a_dial_that_loses_the_race_for_the_line_is_told_not_a_server_error(
    seed: Seed,
) -> None:
    client = console_client(seed.app, RacedDialer(seed.app))
    token = login(client, "agent1")
    number, case = OFFERED.findall(client.get("/agent").text)[0]
    refused = client.post(
        "/agent/dial", data={"phone_number_id": number, "case_id": case, "csrf": token}
    )
    assert refused.status_code == 409 and "正在拨打一通电话" in refused.text


def test_a_lead_ends_a_pause_on_their_own_team_only(seed: Seed) -> None:
    """An agent who went to lunch and forgot to come back is resumed by their lead (audited
    as the lead's act); another team's lead cannot, nor can an agent."""
    a01 = _agent(seed)
    with seed.app.sessions.begin() as session:
        pause(session, a01, "meal", "agent1", CALL_DAY - timedelta(minutes=40))
        add_user(session, "sup2", Role.SUPERVISOR, PASSWORD, "test")
        set_supervisor(session, "sup2", "T2", "test")
    url = f"/team/live/agents/{a01.id}/resume"
    other_team = console_client(seed.app, FakeDialer(seed.app))
    token = login(other_team, "sup2")
    assert f'action="{url}"' not in other_team.get("/team/live").text
    assert other_team.post(url, data={"csrf": token}).status_code == 404
    agent = console_client(seed.app, FakeDialer(seed.app))
    assert agent.post(url, data={"csrf": login(agent, "agent1")}).status_code == 403
    lead = console_client(seed.app, FakeDialer(seed.app))
    token = login(lead, "sup1")
    assert f'action="{url}"' in lead.get("/team/live").text
    assert lead.post(url, data={"csrf": "wrong"}).status_code == 403
    reply = lead.post(url, data={"csrf": token})
    assert reply.status_code == 303 and reply.headers["location"] == "/team/live"
    again = lead.post(url, data={"csrf": token})  # a double click writes nothing more
    assert again.status_code == 303
    with seed.app.sessions() as session:
        assert current_pause(session, a01.id) is None
    assert _actions(seed) == [("agent.pause", "agent1", "meal"), ("agent.resume", "sup1", "meal")]
    assert f'action="{url}"' not in lead.get("/team/live").text
