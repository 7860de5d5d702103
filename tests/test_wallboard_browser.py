"""The live wallboard in Debian's Chromium: an alert raised during a call appears on the open
board without a reload, under the console's CSP, and is acknowledged from it; a lead listens
in from the board."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.listen_in import ListenIn
from console.users import set_phone
from dialer.testing import RecordingLink
from store.enums import Speaker
from store.live import LiveHit, act_on_hit
from store.models import AuditLog, CallAttempt, User
from tests.browser import chromium, log_in, served, shoot, template_copy, watch_problems
from tests.test_wallboard import SAID, build_floor, floor_app, raise_alert
from tests.test_wallboard_transcript import hear
from tests.webclient import FakeDialer
from tests.webdata import CALL_DAY

pytestmark = pytest.mark.browser


def test_an_alert_shows_on_the_open_board_and_is_acknowledged_there(
    tmp_path: Path, sqlite_template: Path
) -> None:
    floor = build_floor(floor_app(template_copy(tmp_path, sqlite_template), tmp_path / "var"))
    with served(floor.app, FakeDialer(floor.app)) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        problems = watch_problems(page)
        log_in(page, base, "sup1")
        page.goto(f"{base}/team/live")
        expect(page.locator("#live-status")).to_have_text("实时")
        with floor.app.sessions() as session:
            agent = session.get_one(CallAttempt, floor.talking).agent_id
        row = page.locator(f"#agent-{agent}")
        expect(row.locator("td.state")).to_have_text("通话中")
        # Counted on the console's clock (the test's fixed day), not the browser's.
        expect(row.locator("td.since")).to_have_text(re.compile(r"^0:01:[3-5]\d$"))
        hear(floor, floor.talking, [(Speaker.AGENT, 12.0, SAID)])
        alert = raise_alert(floor.app, floor.talking)
        card = page.locator(f"#alert-{alert}")
        expect(card.locator("blockquote")).to_have_text(SAID.replace("13812345678", "138****5678"))
        # the running transcript on the agent's row, the flagged line marked
        flagged = row.locator("ol.running li.flagged")
        expect(flagged).to_contain_text("138****5678")
        expect(flagged.locator("strong")).to_have_text("冒充公检法/律师")
        shoot(page, "wallboard-alert-zh")
        card.locator("button").click()
        expect(card.locator("p.ok")).to_have_text("已阅")
        with floor.app.sessions.begin() as session:
            session.get_one(CallAttempt, floor.talking).ended_at = CALL_DAY
        expect(row.locator("td.state")).to_have_text("话后处理")
        context.close()  # the stream ends with the page, before the server stops
    with floor.app.sessions() as session:
        audits = session.scalars(select(AuditLog).where(AuditLog.action == "live.alert.seen"))
        assert [a.object_id for a in audits] == [str(alert)]
    assert problems == []
    floor.app.engine.dispose()


def test_a_lead_whispers_from_the_board_and_is_told_when_they_have_no_phone(
    tmp_path: Path, sqlite_template: Path
) -> None:
    floor = build_floor(floor_app(template_copy(tmp_path, sqlite_template), tmp_path / "var"))
    link = RecordingLink()
    with (
        served(floor.app, FakeDialer(floor.app), ListenIn(lambda: link)) as base,
        chromium() as browser,
    ):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        problems = watch_problems(page)
        log_in(page, base, "sup1")
        page.goto(f"{base}/team/live")
        expect(page.locator("#live-status")).to_have_text("实时")
        with floor.app.sessions() as session:
            agent = session.get_one(CallAttempt, floor.talking).agent_id
        row = page.locator(f"#agent-{agent}")
        row.get_by_role("button", name="监听").click()
        expect(page.locator("#live-status")).to_contain_text("callwarden user phone sup1")
        with floor.app.sessions.begin() as session:
            lead = session.scalars(select(User).where(User.username == "sup1")).one()
            set_phone(session, lead, "PJSIP/s01@simnet", "test")
        row.get_by_role("button", name="密语").click()
        expect(page.locator("#live-status")).to_have_text("正在呼叫您的话机")
        page.locator("#live-status").evaluate("e => { e.textContent = ''; }")
        with floor.app.sessions.begin() as session:  # a threat whose table offers a barge
            hit = LiveHit("threat", "threat-1", "agent", 8.0, "你不还钱就等着瞧")
            act_on_hit(session, floor.talking, hit, ["alert", "barge"], CALL_DAY)
        page.get_by_role("button", name="一键强插").click()
        expect(page.locator("#live-status")).to_have_text("正在呼叫您的话机")
        shoot(page, "wallboard-listen-in-zh")
        context.close()
    assert [(r.channel, r.variables["CW_SPY_OPTIONS"]) for r in link.requests] == [
        ("PJSIP/s01@simnet", "qw"),
        ("PJSIP/s01@simnet", "qB"),
    ]
    # the 409 is the page's own answer, not a script or resource problem
    assert [p for p in problems if "409" not in p] == []
    floor.app.engine.dispose()
