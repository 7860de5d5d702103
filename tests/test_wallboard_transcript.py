"""The running transcript on the live wallboard (issue 18, item 4): each call up shows its last
live utterances, masked, the flagged ones marked, on the page without scripts and pushed to an
open board as they are heard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from console.wallboard import LINES_SHOWN
from console.web.server import create_app
from store.enums import Speaker
from store.models import CallAttempt, LiveAlert, LiveUtterance, Person
from store.pii import mask_name
from store.wallboard import ALERTS_SHOWN
from tests.liveserver import logged_in, serve
from tests.test_wallboard import (
    SAID,
    Floor,
    Stream,
    _board_of,
    _who,
    build_floor,
    floor_app,
    raise_alert,
)
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY

HEARD = [
    (Speaker.AGENT, 1.0, "您好，请问是杨先生本人吗？"),
    (Speaker.CALLEE, 3.5, "是我，什么事"),
    (Speaker.AGENT, 6.0, "关于您在银行的欠款"),
    (Speaker.CALLEE, 9.0, "我下周还，你记一下我手机13812345678"),
    (Speaker.AGENT, 12.0, SAID),
]


@pytest.fixture
def floor(db_url: str, tmp_path: Path) -> Iterator[Floor]:
    app = floor_app(db_url, tmp_path / "var")
    yield build_floor(app)
    app.engine.dispose()


def hear(floor: Floor, attempt_id: int, lines: list[tuple[Speaker, float, str]]) -> None:
    with floor.app.sessions.begin() as session:
        for speaker, start, text in lines:
            session.add(
                LiveUtterance(
                    call_attempt_id=attempt_id,
                    speaker=speaker,
                    start_s=start,
                    end_s=start + 2.0,
                    text=text,
                )
            )


def test_a_call_up_shows_its_last_lines_masked_and_flagged(floor: Floor) -> None:
    hear(floor, floor.talking, HEARD)
    hear(floor, floor.ringing, [(Speaker.AGENT, 1.0, "另一组的通话")])
    raise_alert(floor.app, floor.talking)  # the agent's line at 12.0 s
    tiles = _board_of(floor.app, _who(floor.app, "sup1")).tiles
    talking, idle = tiles
    assert idle.transcript == ()
    shown = talking.transcript
    assert len(shown) == LINES_SHOWN == 3  # the newest three, oldest first
    assert [line.at_s for line in shown] == [6.0, 9.0, 12.0]
    assert [line.speaker for line in shown] == ["agent", "callee", "agent"]
    assert "13812345678" not in str(shown) and "138****5678" in shown[1].text
    assert [line.flag for line in shown] == ["", "", "impersonation"]
    assert talking.as_json()["transcript"][2] == {
        "speaker": "agent",
        "at_s": 12.0,
        "text": SAID.replace("13812345678", "138****5678"),
        "flag": "impersonation",
    }
    # a call that ended leaves the board, and its lines with it
    with floor.app.sessions.begin() as session:
        session.get_one(CallAttempt, floor.talking).ended_at = CALL_DAY
    assert _board_of(floor.app, _who(floor.app, "sup1")).tiles[0].transcript == ()


def test_the_page_without_scripts_shows_the_running_transcript(floor: Floor) -> None:
    hear(floor, floor.talking, HEARD)
    hear(floor, floor.ringing, [(Speaker.AGENT, 1.0, "另一组的通话")])
    client = console_client(floor.app, FakeDialer(floor.app))
    login(client, "sup1")
    body = client.get("/team/live").text
    assert 'class="running"' in body and "关于您在银行的欠款" in body
    assert "请问是杨先生本人吗" not in body  # older than the last three
    assert "13812345678" not in body and "另一组的通话" not in body


def test_a_line_heard_during_the_call_reaches_the_open_board(floor: Floor) -> None:
    web = create_app(floor.app, FakeDialer(floor.app), clock=lambda: CALL_DAY)
    with serve(web) as base:
        client, _ = logged_in(base, "sup1")
        with client.stream("GET", "/team/live/events", timeout=30) as reply:
            stream = Stream(reply)
            first = stream.next_event("snapshot")
            assert first.data["tiles"][0]["transcript"] == []
            hear(floor, floor.talking, HEARD[:1])
            tile = stream.next_event("agent")
            assert tile.data["code"] == "A01"
            assert [line["text"] for line in tile.data["transcript"]] == [HEARD[0][2]]
        client.close()
    with floor.app.reads() as session:
        assert session.scalar(select(LiveUtterance.id).limit(1)) is not None


def test_the_callee_named_in_a_line_is_masked_as_in_the_callee_column(floor: Floor) -> None:
    with floor.app.sessions() as session:
        attempt = session.get_one(CallAttempt, floor.talking)
        name = session.get_one(Person, attempt.person_id).name
    hear(floor, floor.talking, [(Speaker.AGENT, 1.0, f"您好，请问是{name}本人吗？")])
    talking = _board_of(floor.app, _who(floor.app, "sup1")).tiles[0]
    [line] = talking.transcript
    assert name not in line.text and line.text == f"您好，请问是{mask_name(name)}本人吗？"
    assert talking.callee.startswith(mask_name(name))


def test_a_line_stays_marked_however_many_alerts_came_after_it(floor: Floor) -> None:
    """The board lists only today's newest alerts; a line of a call still up is marked from
    that call's own alerts, not from whichever alerts made the list."""
    hear(floor, floor.talking, HEARD)
    raise_alert(floor.app, floor.talking)  # the agent's line at 12.0 s, early in the day
    with floor.app.sessions.begin() as session:
        for n in range(ALERTS_SHOWN + 5):  # a busy day on the same team afterwards
            session.add(
                LiveAlert(
                    call_attempt_id=floor.talking,
                    category="insult",
                    speaker=Speaker.AGENT,
                    start_s=100.0 + n,
                    evidence="另一句",
                    rule_id="ins-x",
                    actions=["alert"],
                    created_at=CALL_DAY + timedelta(minutes=1 + n),
                )
            )
    board = _board_of(floor.app, _who(floor.app, "sup1"))
    assert len(board.alerts) == ALERTS_SHOWN
    assert all(a.category == "insult" for a in board.alerts)
    assert [line.flag for line in board.tiles[0].transcript] == ["", "", "impersonation"]
