"""Listening in from the wallboard (issue 18 item 5): the ChanSpy requests, who may reach which
call, the lead's own phone, the audit row of each use, and a PBX that cannot be reached. The
AMI link is ``dialer.testing.RecordingLink``; ``tests/test_spy_sip.py`` runs the same requests
over real SIP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from console.app import App
from console.errors import UserError
from console.listen_in import ListenIn
from console.users import set_phone
from console.web.server import create_app
from dialer.spy import (
    BadEndpoint,
    SpyMode,
    check_endpoint,
    prompt_request,
    spy_group,
    spy_request,
)
from dialer.testing import RecordingLink
from store.live import LiveHit, act_on_hit
from store.models import AuditLog, CallAttempt, User
from tests.test_cli import run
from tests.test_wallboard import Floor, build_floor, floor_app
from tests.webclient import FakeDialer, login
from tests.webdata import CALL_DAY


def test_each_mode_is_chanspy_with_its_options_on_the_calls_group() -> None:
    options = {m: spy_request("PJSIP/s01@simnet", 7, m).variables for m in SpyMode}
    assert {m: v["CW_SPY_OPTIONS"] for m, v in options.items()} == {
        SpyMode.LISTEN: "q",
        SpyMode.WHISPER: "qw",
        SpyMode.BARGE: "qB",
    }
    assert {v["CW_SPY_GROUP"] for v in options.values()} == {spy_group(7)} == {"cwcall7"}
    request = spy_request("PJSIP/1001", 7, SpyMode.LISTEN, "listen-7")
    assert (request.channel, request.context, request.exten) == (
        "PJSIP/1001",
        "callwarden-spy",
        "s",
    )
    assert request.action_id == "listen-7"
    prompt = prompt_request(7, "/callwarden/x/sounds/reminder")
    assert prompt.channel == "Local/prompt@callwarden-prompt"
    assert prompt.variables["CW_SPY_OPTIONS"] == "qw"  # the agent alone hears it
    assert prompt.variables["__CW_PROMPT"] == "/callwarden/x/sounds/reminder"


@pytest.mark.parametrize(
    "endpoint",
    ["", "1001", "PJSIP/", "PJSIP/1001,30", "PJSIP/1001&PJSIP/1002", "PJSIP/a b", "PJSIP/x)"],
)
def test_an_endpoint_that_is_not_a_plain_dial_string_is_refused(endpoint: str) -> None:
    with pytest.raises(BadEndpoint):
        check_endpoint(endpoint)
    with pytest.raises(BadEndpoint):
        spy_request(endpoint, 1, SpyMode.LISTEN)
    with pytest.raises(ValueError, match="prompt sound"):
        prompt_request(1, "../../etc/passwd")


@pytest.fixture
def floor(db_url: str, tmp_path: Path) -> Iterator[Floor]:
    app = floor_app(db_url, tmp_path / "var")
    yield build_floor(app)
    app.engine.dispose()


def _client(app: App, link: RecordingLink) -> TestClient:
    web = create_app(app, FakeDialer(app), lambda: CALL_DAY, ListenIn(lambda: link))
    return TestClient(web, follow_redirects=False)


def _give_phone(app: App, username: str, endpoint: str) -> None:
    with app.sessions.begin() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        set_phone(session, user, endpoint, "test")


def _uses(app: App) -> list[tuple[str, str, str]]:
    with app.sessions() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "live.listen_in"))
        return [(r.actor, r.object_id, r.detail["mode"]) for r in rows]


def test_a_lead_listens_whispers_and_barges_from_their_own_phone(floor: Floor) -> None:
    link = RecordingLink()
    client = _client(floor.app, link)
    token = login(client, "sup1")
    url = f"/team/live/calls/{floor.talking}/listen"
    no_phone = client.post(url, data={"csrf": token, "mode": "listen"})
    assert no_phone.status_code == 409 and "callwarden user phone sup1" in no_phone.text
    assert link.requests == [] and _uses(floor.app) == []
    _give_phone(floor.app, "sup1", "PJSIP/s01@simnet")
    page = client.get("/team/live").text
    assert f'action="{url}"' in page and 'value="whisper"' in page  # A01's call is up
    reply = client.post(url, data={"csrf": token, "mode": "listen"})
    assert reply.status_code == 303 and reply.headers["location"] == "/team/live"
    for mode in ("whisper", "barge"):  # the board's script: a header, no page back
        sent = client.post(url, data={"mode": mode}, headers={"x-csrf-token": token})
        assert sent.status_code == 204
    assert [(r.channel, r.variables["CW_SPY_OPTIONS"]) for r in link.requests] == [
        ("PJSIP/s01@simnet", "q"),
        ("PJSIP/s01@simnet", "qw"),
        ("PJSIP/s01@simnet", "qB"),
    ]
    assert {r.variables["CW_SPY_GROUP"] for r in link.requests} == {f"cwcall{floor.talking}"}
    assert link.closed == 3  # one short login per use
    assert _uses(floor.app) == [("sup1", str(floor.talking), m) for m in SpyMode]
    assert client.post(url, data={"csrf": token, "mode": "snoop"}).status_code == 422
    assert client.post(url, data={"csrf": "wrong", "mode": "listen"}).status_code == 403
    assert len(link.requests) == 3


def test_another_teams_call_is_no_such_call_and_a_call_must_be_up(floor: Floor) -> None:
    link = RecordingLink()
    _give_phone(floor.app, "sup2", "PJSIP/s02@simnet")
    _give_phone(floor.app, "admin1", "PJSIP/1000")
    other = _client(floor.app, link)
    token = login(other, "sup2")  # leads T2 (A02); A01's call is T1's
    talking = f"/team/live/calls/{floor.talking}/listen"
    assert other.post(talking, data={"csrf": token, "mode": "listen"}).status_code == 404
    missing = "/team/live/calls/999999/listen"
    assert other.post(missing, data={"csrf": token, "mode": "listen"}).status_code == 404
    ringing = other.post(
        f"/team/live/calls/{floor.ringing}/listen", data={"csrf": token, "mode": "barge"}
    )
    assert ringing.status_code == 409 and "尚未接通" in ringing.text
    admin = _client(floor.app, link)
    token = login(admin, "admin1")
    with floor.app.sessions.begin() as session:
        session.get_one(CallAttempt, floor.talking).ended_at = CALL_DAY
    ended = admin.post(talking, data={"csrf": token, "mode": "listen"})
    assert ended.status_code == 409 and "通话已结束" in ended.text
    assert link.requests == [] and _uses(floor.app) == []


def test_a_pbx_that_cannot_be_reached_says_so_and_logs_no_use(
    floor: Floor, caplog: pytest.LogCaptureFixture
) -> None:
    link = RecordingLink(down="AMI 127.0.0.1:5038: connection refused")
    client = _client(floor.app, link)
    _give_phone(floor.app, "admin1", "PJSIP/1000")
    token = login(client, "admin1")  # admins reach every team's calls
    reply = client.post(
        f"/team/live/calls/{floor.talking}/listen", data={"csrf": token, "mode": "whisper"}
    )
    # the lead reads it in their language; the link's own (English) reason goes to the log
    assert reply.status_code == 503 and "电话系统不可用" in reply.text
    assert "connection refused" not in reply.text and "connection refused" in caplog.text
    assert _uses(floor.app) == []  # the audit row went with the failed request
    assert link.closed == 1


def test_only_leads_and_admins_get_a_phone_and_only_a_plain_dial_string(floor: Floor) -> None:
    with floor.app.sessions.begin() as session:
        agent = session.scalars(select(User).where(User.username == "agent1")).one()
        with pytest.raises(UserError, match="只有他们可以监听"):
            set_phone(session, agent, "PJSIP/1001", "test")
        lead = session.scalars(select(User).where(User.username == "sup1")).one()
        with pytest.raises(UserError, match="TECH/RESOURCE"):
            set_phone(session, lead, "PJSIP/1001,,30", "test")
        set_phone(session, lead, "PJSIP/1001", "test")
        set_phone(session, lead, "", "test")
        assert lead.sip_endpoint is None
    with floor.app.sessions() as session:
        phones = session.scalars(select(AuditLog).where(AuditLog.action == "user.phone"))
        assert [p.detail["endpoint"] for p in phones] == ["PJSIP/1001", None]


def test_user_phone_sets_and_lists_a_leads_phone_at_the_command_line(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    password = {"CALLWARDEN_PASSWORD": "lead-secret-9"}
    for name, role in (("lead", "supervisor"), ("lin", "qa")):
        added = run(["user", "add", name, "--role", role], tmp_path, extra_env=password)
        assert added.returncode == 0, added.stderr
    given = run(["user", "phone", "lead", "PJSIP/1001"], tmp_path)
    assert given.returncode == 0 and "PJSIP/1001" in given.stdout, given.stderr
    assert re.search(
        r"^lead\s+supervisor\s+active\s+PJSIP/1001$",
        run(["user", "list"], tmp_path).stdout,
        re.MULTILINE,
    )
    assert run(["user", "phone", "lin", "PJSIP/1002"], tmp_path).returncode == 2
    assert run(["user", "phone", "lead", "PJSIP/1001,30"], tmp_path).returncode == 2
    assert run(["user", "phone", "nobody", "PJSIP/1001"], tmp_path).returncode == 2


def test_an_alert_whose_actions_say_barge_offers_a_one_click_barge(floor: Floor) -> None:
    with floor.app.sessions.begin() as session:
        hit = LiveHit("threat", "threat-1", "agent", 8.0, "你不还钱就等着瞧")
        act_on_hit(session, floor.talking, hit, ["alert", "barge"], CALL_DAY)
        act_on_hit(session, floor.talking, hit, ["alert"], CALL_DAY)
    _give_phone(floor.app, "sup1", "PJSIP/s01@simnet")
    link = RecordingLink()
    client = _client(floor.app, link)
    token = login(client, "sup1")
    page = client.get("/team/live").text
    assert page.count("一键强插") == 1  # only the alert whose table says barge
    url = f"/team/live/calls/{floor.talking}/listen"
    assert client.post(url, data={"csrf": token, "mode": "barge"}).status_code == 303
    assert [r.variables["CW_SPY_OPTIONS"] for r in link.requests] == ["qB"]
