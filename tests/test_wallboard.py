"""The live wallboard (/team/live): the pure board and its diffs, the rows behind it per scope,
the page, acknowledging an alert, and the event stream served by a real uvicorn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from config import Settings
from config.settings import ConsoleSettings, DatabaseSettings, PathSettings
from console.app import App, build_app
from console.teams import add_team, assign_agent, set_supervisor
from console.users import add_user
from console.wallboard import (
    HEARTBEAT,
    AgentState,
    Board,
    Event,
    board,
    changes,
    decode_event,
    encode_event,
    snapshot,
)
from console.web.server import create_app
from console.web.uvicorn_server import console_server
from console.web.wallboard import OpenStreams
from store.enums import AttemptStatus, Direction, Role, Speaker
from store.live import LiveHit, act_on_hit
from store.models import (
    Agent,
    AuditLog,
    CallAttempt,
    CollectionNote,
    LiveAlert,
    PhoneNumber,
    User,
)
from store.pii import mask_name
from store.scope import Viewer
from store.team_day import Counters, day_window
from store.wallboard import AgentRow, AlertRow, FloorRows, OpenCall, floor_rows
from tests.dbdata import debtor_targets
from tests.liveserver import logged_in, serve
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, PASSWORD, seed_console

ZONE = "Asia/Shanghai"
T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
SAID = "我是法院的，你再不还钱就抓你，回电13812345678"
"""An impersonation heard live, with a phone number the board must mask."""


# -- the pure board --------------------------------------------------------------------------


def _agent(agent_id: int, owed: int = 0) -> AgentRow:
    return AgentRow(agent_id, f"A0{agent_id}", f"坐席{agent_id}", "一组", Counters(notes_owed=owed))


def _call(
    agent_id: int, answered: datetime | None, attempt_id: int = 0, rang: datetime | None = None
) -> OpenCall:
    status = AttemptStatus.ANSWERED if answered else AttemptStatus.ORIGINATED
    return OpenCall(
        attempt_id or agent_id * 10,
        agent_id,
        status,
        "+8613812348000",
        "张三丰",
        T0,
        T0 + timedelta(seconds=1),
        answered,
        ringing_at=rang,
    )


def _alert(alert_id: int, seen: bool = False) -> AlertRow:
    return AlertRow(
        alert_id, 10, 1, "impersonation", Speaker.AGENT, 12.34, SAID, T0, T0 if seen else None
    )


def test_the_board_says_each_agents_state_and_masks_the_callee() -> None:
    answered = T0 + timedelta(seconds=8)
    rows = FloorRows(
        (_agent(1), _agent(2), _agent(3, owed=2), _agent(4), _agent(5)),
        # Agent 1: a call ringing, then one answered (the answered one is what they do now).
        # Agent 2's callee's phone rings; agent 5's call has not rung yet (Asterisk's Newstate).
        (
            _call(1, None, 11, rang=T0 + timedelta(seconds=2)),
            _call(1, answered, 12),
            _call(2, None, rang=T0 + timedelta(seconds=3)),
            _call(5, None),
        ),
        (_alert(2), _alert(1, seen=True)),
    )
    shown = board(rows)
    states = [(t.code, t.state, t.since) for t in shown.tiles]
    assert states == [
        ("A01", AgentState.TALKING, answered),
        ("A02", AgentState.RINGING, T0 + timedelta(seconds=3)),
        ("A03", AgentState.WRAP_UP, None),
        ("A04", AgentState.IDLE, None),
        ("A05", AgentState.DIALLING, T0 + timedelta(seconds=1)),
    ]
    assert shown.tiles[0].callee == "张** 138****8000"
    assert shown.tiles[2].counters["notes_owed"] == 2 and shown.tiles[3].callee == ""
    first = shown.alerts[0]
    assert (first.alert_id, first.agent, first.seen) == (2, "A01 坐席1", False)
    assert "13812345678" not in first.utterance and "138****5678" in first.utterance
    assert shown.alerts[1].seen
    assert shown.as_json()["tiles"][0]["since"] == answered.isoformat()
    assert [mask_name(n) for n in ("张三丰", "李", "", " 王五 ")] == ["张**", "*", "", "王*"]


def test_changes_send_only_what_changed_and_new_alerts_in_order() -> None:
    before = board(FloorRows((_agent(1), _agent(2)), (_call(1, T0),), (_alert(1),)))
    assert changes(before, before) == []
    # A01 hangs up owing a note, A02 leaves the board, A03 joins, two alerts come, one seen.
    after = board(
        FloorRows((_agent(1, owed=1), _agent(3)), (), (_alert(3), _alert(2), _alert(1, True)))
    )
    sent = changes(before, after)
    assert [(e.name, e.data["id"] if "id" in e.data else e.data["agent_id"]) for e in sent] == [
        ("agent", 1),
        ("agent", 3),
        ("agent_gone", 2),
        ("alert_seen", 1),
        ("alert", 2),
        ("alert", 3),
    ]
    assert sent[0].data["state"] == "wrap_up" and sent[0].data["since"] is None
    (opened,) = snapshot(after, T0)
    assert opened == Event("snapshot", {**after.as_json(), "at": T0.isoformat()})


def test_the_event_codec_on_literal_frames() -> None:
    event = Event("alert", {"id": 7, "utterance": "第一行\n第二行"})
    frame = encode_event(event)
    assert frame == ('event: alert\ndata: {"id":7,"utterance":"第一行\\n第二行"}\n\n'.encode())
    assert decode_event(frame.decode().strip("\n")) == event
    assert decode_event(HEARTBEAT.decode().strip("\n")) is None
    assert decode_event("retry: 3000") is None
    assert decode_event("data: {}") == Event("message", {})


# -- the rows behind it, the page and acknowledging -----------------------------------------


@dataclass(frozen=True)
class Floor:
    app: App
    talking: int
    """A01's call, answered 90 s before CALL_DAY and still up."""
    ringing: int
    """A02's call, dialled and not answered."""


@dataclass(frozen=True)
class Who:
    user_id: int
    role: Role


def floor_app(db_url: str, var_dir: Path) -> App:
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        paths=PathSettings(var_dir=var_dir),
        console=ConsoleSettings(wallboard_poll_s=0.05, wallboard_heartbeat_s=0.2),
    )
    return build_app(settings)


@pytest.fixture
def floor(db_url: str, tmp_path: Path) -> Iterator[Floor]:
    app = floor_app(db_url, tmp_path / "var")
    yield build_floor(app)
    app.engine.dispose()


def build_floor(app: App) -> Floor:
    """The console's seed (A01 in T1 led by sup1, A02 in T2) with A03 idle in T1, sup2 leading
    T2, A01 in a call and A02's phone ringing."""
    seed_console(app, [])
    target = debtor_targets(app.sessions)[0]
    with app.sessions.begin() as session:
        session.add(Agent(code="A03", name="Agent A03", sip_endpoint="PJSIP/A03"))
        session.flush()
        assign_agent(session, "A03", "T1", "test")
        add_user(session, "sup2", Role.SUPERVISOR, PASSWORD, "test")
        set_supervisor(session, "sup2", "T2", "test")
        add_team(session, "T3", "Team T3", "test")
        number = session.get_one(PhoneNumber, target.phone_number_id)
        ids = {a.code: a.id for a in session.scalars(select(Agent))}
        calls = []
        for code, answered in (("A01", True), ("A02", False)):
            at = CALL_DAY - timedelta(seconds=90)
            row = CallAttempt(
                case_id=target.case_id,
                person_id=number.person_id,
                phone_number_id=number.id,
                e164=number.e164,
                agent_id=ids[code],
                direction=Direction.OUTBOUND,
                status=AttemptStatus.ANSWERED if answered else AttemptStatus.ORIGINATED,
                reserved_at=at,
                originated_at=at,
                answered_at=at if answered else None,
                ringing_at=None if answered else at,
                ruleset_version="test",
            )
            session.add(row)
            session.flush()
            calls.append(row.id)
    return Floor(app, *calls)


def _who(app: App, username: str) -> Who:
    with app.sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return Who(user.id, user.role)


def _board_of(app: App, viewer: Viewer) -> Board:
    start, end = day_window(CALL_DAY, ZONE)
    with app.reads() as session:
        return board(floor_rows(session, viewer, start, end))


def raise_alert(app: App, attempt_id: int, said: str = SAID) -> int:
    with app.sessions.begin() as session:
        hit = LiveHit("impersonation", "imp-court", "agent", 12.0, said)
        act_on_hit(session, attempt_id, hit, ["alert"], CALL_DAY)
        found = session.scalar(select(func.max(LiveAlert.id)))
        assert found is not None
        return int(found)


def test_each_lead_sees_their_own_floor(floor: Floor) -> None:
    raise_alert(floor.app, floor.ringing, "A02 的电话")
    sup1 = _board_of(floor.app, _who(floor.app, "sup1"))
    assert [(t.code, t.state) for t in sup1.tiles] == [
        ("A01", AgentState.TALKING),
        ("A03", AgentState.IDLE),
    ]
    assert sup1.tiles[0].since == CALL_DAY - timedelta(seconds=90)
    assert "*" in sup1.tiles[0].callee and sup1.alerts == ()
    sup2 = _board_of(floor.app, _who(floor.app, "sup2"))
    assert [(t.code, t.state) for t in sup2.tiles] == [("A02", AgentState.RINGING)]
    assert [a.utterance for a in sup2.alerts] == ["A02 的电话"]
    admin = _board_of(floor.app, _who(floor.app, "admin1"))
    assert [t.code for t in admin.tiles] == ["A01", "A03", "A02"] and len(admin.alerts) == 1
    # The call ends: A01 now owes its note (wrap-up), and today's counters have it.
    with floor.app.sessions.begin() as session:
        session.get_one(CallAttempt, floor.talking).ended_at = CALL_DAY
    after = _board_of(floor.app, _who(floor.app, "sup1")).tiles[0]
    assert after.state is AgentState.WRAP_UP
    assert after.counters == {
        "attempts": 1,
        "connected": 1,
        "talk_s": 90,
        "notes_owed": 1,
        "flags": 0,
        "holds": 0,
    }


def test_the_page_is_whole_without_scripts_and_only_for_leads(floor: Floor) -> None:
    alert = raise_alert(floor.app, floor.talking)
    client = console_client(floor.app, FakeDialer(floor.app))
    login(client, "sup1")
    page = client.get("/team/live")
    assert page.status_code == 200
    body = page.text
    assert "实时看板" in body and "Live floor" not in body
    assert 'id="agent-' in body and "A01 Agent A01" in body and "A03 Agent A03" in body
    assert "A02" not in body and "通话中" in body and "0:01:30" in body
    assert f'id="alert-{alert}"' in body and "13812345678" not in body and "138****5678" in body
    assert '<script src="/static/wallboard.js" defer></script>' in body
    assert "<script>" not in body  # nothing inline: the CSP stays script-src 'self'
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/static/wallboard.js")
    assert script.status_code == 200 and "EventSource" in script.text
    once = client.get("/team/live/events?once=1")
    assert once.headers["content-type"].startswith("text/event-stream")
    frames = [decode_event(b) for b in once.text.split("\n\n") if b]
    assert [f.name for f in frames if f] == ["snapshot"]
    for username in ("qa1", "agent1"):
        other = console_client(floor.app, FakeDialer(floor.app))
        login(other, username)
        for url in ("/team/live", "/team/live/events?once=1"):
            assert other.get(url).status_code == 403, (username, url)


def _audits(app: App, action: str) -> list[AuditLog]:
    with app.sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_acknowledging_an_alert_is_audited_once_and_scoped(floor: Floor) -> None:
    alert = raise_alert(floor.app, floor.talking)
    other_team = console_client(floor.app, FakeDialer(floor.app))
    token = login(other_team, "sup2")
    url = f"/team/live/alerts/{alert}/ack"
    assert other_team.post(url, data={"csrf": token}).status_code == 404
    assert other_team.post("/team/live/alerts/999999/ack", data={"csrf": token}).status_code == 404
    lead = console_client(floor.app, FakeDialer(floor.app))
    token = login(lead, "sup1")
    assert lead.post(url, data={"csrf": "wrong"}).status_code == 403
    assert _audits(floor.app, "live.alert.seen") == []
    reply = lead.post(url, data={"csrf": token})
    assert reply.status_code == 303 and reply.headers["location"] == "/team/live"
    # The board's script sends the token as a header and gets no page back.
    assert lead.post(url, headers={"x-csrf-token": token}).status_code == 204
    (audit,) = _audits(floor.app, "live.alert.seen")
    assert (audit.actor, audit.object_type, audit.object_id) == ("sup1", "live_alert", str(alert))
    assert audit.detail["utterance"] == SAID and audit.detail["category"] == "impersonation"
    with floor.app.sessions() as session:
        assert session.get_one(LiveAlert, alert).seen_at == CALL_DAY
    assert '<p class="ok">已阅</p>' in lead.get("/team/live").text


# -- the event stream, over a real server ---------------------------------------------------


class Stream:
    """Reads server-sent events off an open httpx response, frame by frame."""

    def __init__(self, reply: httpx.Response) -> None:
        self.lines = reply.iter_lines()

    def frame(self) -> str:
        block: list[str] = []
        for line in self.lines:
            if line == "" and block:
                return "\n".join(block)
            if line:
                block.append(line)
        raise AssertionError("the stream ended")

    def next_event(self, name: str) -> Event:
        while True:
            found = decode_event(self.frame())
            if found is not None and found.name == name:
                return found


def _wait_until_closed(streams: OpenStreams) -> None:
    """The server notices the client left at its next poll or send; a bound, not a timing."""
    deadline = time.monotonic() + 60
    while streams.count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_an_alert_raised_during_the_call_arrives_on_the_open_board(floor: Floor) -> None:
    web = create_app(floor.app, FakeDialer(floor.app), clock=lambda: CALL_DAY)
    with serve(web) as base:
        client, _ = logged_in(base, "sup1")
        with client.stream("GET", "/team/live/events", timeout=30) as reply:
            assert reply.status_code == 200
            assert reply.headers["content-type"].startswith("text/event-stream")
            stream = Stream(reply)
            first = stream.next_event("snapshot")
            assert [t["code"] for t in first.data["tiles"]] == ["A01", "A03"]
            assert web.state.wallboard_streams.count == 1
            # Nothing changes: only heartbeats.
            assert stream.frame() == HEARTBEAT.decode().strip("\n")
            raise_alert(floor.app, floor.ringing, "另一组的提醒")  # A02 (T2): not for sup1
            alert = raise_alert(floor.app, floor.talking)
            arrived = stream.next_event("alert")
            assert arrived.data["id"] == alert and arrived.data["agent"] == "A01 Agent A01"
            assert arrived.data["utterance"] == SAID.replace("13812345678", "138****5678")
            assert arrived.data["category"] == "impersonation" and not arrived.data["seen"]
            with floor.app.sessions.begin() as session:
                session.get_one(CallAttempt, floor.talking).ended_at = CALL_DAY
            tile = stream.next_event("agent")
            assert (tile.data["code"], tile.data["state"]) == ("A01", "wrap_up")
        client.close()
        _wait_until_closed(web.state.wallboard_streams)
        assert web.state.wallboard_streams.count == 0


def test_a_stream_ends_with_its_session(floor: Floor) -> None:
    web = create_app(floor.app, FakeDialer(floor.app), clock=lambda: CALL_DAY)
    with serve(web) as base:
        client, token = logged_in(base, "sup1")
        with client.stream("GET", "/team/live/events", timeout=30) as reply:
            stream = Stream(reply)
            stream.next_event("snapshot")
            assert client.post("/logout", data={"csrf": token}).status_code == 303
            with pytest.raises(AssertionError, match="the stream ended"):
                while True:
                    stream.frame()
        client.close()
        assert web.state.wallboard_streams.count == 0


def test_a_stopping_console_ends_its_open_boards(floor: Floor) -> None:
    """uvicorn waits for open responses before it stops: the boards end themselves at once,
    not after ``wallboard_stream_s`` or the grace period."""
    web = create_app(floor.app, FakeDialer(floor.app), clock=lambda: CALL_DAY)
    server = console_server(web, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive()
        thread.join(0.02)
    base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    client, _ = logged_in(base, "sup1")
    with client.stream("GET", "/team/live/events", timeout=30) as reply:
        stream = Stream(reply)
        stream.next_event("snapshot")
        server.should_exit = True
        with pytest.raises(AssertionError, match="the stream ended"):
            while True:
                stream.frame()
    client.close()
    thread.join()
    assert web.state.wallboard_streams.count == 0


def test_a_stream_counts_again_only_when_something_counted_changed(floor: Floor) -> None:
    viewer = _who(floor.app, "sup1")
    start, end = day_window(CALL_DAY, ZONE)

    def rows(before: FloorRows | None) -> FloorRows:
        with floor.app.reads() as session:
            return floor_rows(session, viewer, start, end, before)

    first = rows(None)
    assert rows(first).agents is first.agents  # nothing changed: the counters are reused
    with floor.app.sessions.begin() as session:
        call = session.get_one(CallAttempt, floor.talking)
        call.ended_at = CALL_DAY
    ended = rows(first)
    assert ended.agents is not first.agents and ended.calls == ()
    assert ended.agents[0].counters == Counters(1, 1, 90.0, 1)
    with floor.app.sessions.begin() as session:
        session.add(
            CollectionNote(
                case_id=call.case_id,
                call_attempt_id=call.id,
                agent_id=call.agent_id,
                outcome="negotiating",
                text="协商中",
                created_at=CALL_DAY,
            )
        )
    noted = rows(ended)
    assert noted.agents[0].counters == Counters(1, 1, 90.0, 0)
    with floor.app.sessions.begin() as session:
        assign_agent(session, "A03", "T2", "test")
    assert [a.code for a in rows(noted).agents] == ["A01"]
