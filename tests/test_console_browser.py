"""The console's main flows in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from store.models import Flag, ReviewVerdict
from tests.browser import log_in, served, shoot, template_copy, watch_problems
from tests.webclient import FakeDialer
from tests.webdata import Seed, console_app, seed_console

pytestmark = pytest.mark.browser

CALLS = ["cw07", "cw01", "cw11", "cw34"]


@pytest.fixture
def seed(tmp_path: Path, sqlite_template: Path) -> Iterator[Seed]:
    app = console_app(template_copy(tmp_path, sqlite_template), tmp_path / "var")
    yield seed_console(app, CALLS)
    app.engine.dispose()


@pytest.fixture
def site(seed: Seed) -> Iterator[tuple[str, FakeDialer]]:
    dialer = FakeDialer(seed.app)
    with served(seed.app, dialer) as base:
        yield base, dialer


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def test_qa_reviews_a_flagged_call_and_gives_a_verdict(
    page: Page, site: tuple[str, FakeDialer], seed: Seed
) -> None:
    base, _ = site
    log_in(page, base, "qa1")
    expect(page.locator("h1")).to_contain_text("质检队列")
    expect(page.locator("table.queue")).to_contain_text("冒充公检法/律师")
    shoot(page, "qa-queue")
    page.select_option("select[name=category]", "impersonation")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.queue tbody tr")
    expect(rows.first).to_contain_text("冒充公检法/律师")
    rows.first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("通话 #")
    flag = page.locator("article.flag").first
    expect(flag).to_contain_text("冒充公检法/律师")
    expect(page.locator(".transcript mark").first).to_be_visible()
    # The player jumps to the flag.
    start = float(flag.locator("button.jump").get_attribute("data-start") or "0")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    flag.locator("button.jump").click()
    page.wait_for_function(
        f"Math.abs(document.getElementById('player').currentTime - {start}) < 1.0"
    )
    shoot(page, "qa-call")
    flag.locator("select[name=verdict]").select_option("rectification")
    flag.locator("input[name=note]").fill("冒充公检法，责令整改")
    flag.locator("button[type=submit]").click()
    reviewed = page.locator("article.flag.reviewed").first
    expect(reviewed).to_contain_text("责令整改")
    expect(reviewed).to_contain_text("qa1")
    with seed.app.sessions() as session:
        verdicts = session.scalars(select(ReviewVerdict)).all()
        flagged = session.get_one(Flag, verdicts[0].flag_id)
    assert [v.note for v in verdicts] == ["冒充公检法，责令整改"]
    assert flagged.category == "impersonation"
    page.goto(f"{base}/qa/report")
    expect(page.locator("svg.chart")).to_be_visible()
    shoot(page, "qa-report")


def test_admin_saves_an_invalid_then_a_valid_policy(
    page: Page, site: tuple[str, FakeDialer], seed: Seed
) -> None:
    base, _ = site
    log_in(page, base, "admin1")
    page.click("text=cn-default >> nth=0")
    editor = page.locator("textarea[name=content]")
    original = editor.input_value()
    editor.fill(original.replace("max = 3", "max = -3", 1))
    page.click("form.editor button[type=submit]")
    expect(page.locator("ul.problems")).to_contain_text("company.cap.connected")
    expect(page.locator("p.error")).to_contain_text("没有改变")
    shoot(page, "admin-policy-refused")
    active = seed.app.paths.admin_dir("policy") / "cn-default.toml"
    assert not active.exists()
    editor = page.locator("textarea[name=content]")
    editor.fill(original.replace('end = "20:00"', 'end = "19:30"', 1))
    page.fill("input[name=note]", "client bank: calls end 19:30")
    page.click("form.editor button[type=submit]")
    expect(page.locator("p.ok")).to_contain_text("第 2 版")
    assert 'end = "19:30"' in active.read_text(encoding="utf-8")
    page.click("text=差异 >> nth=0")
    expect(page.locator("pre.diff .add")).to_have_text(['+end = "19:30"'])
    expect(page.locator("pre.diff .del")).to_have_text(['-end = "20:00"'])
    shoot(page, "admin-policy-diff")
    page.goto(f"{base}/admin/preview?at=2026-12-01+19:45")
    expect(page.locator("main")).to_contain_text("company.window")
    shoot(page, "admin-preview")
    page.goto(f"{base}/admin/holds")
    expect(page.locator("table.holds")).to_contain_text("投诉倾向")
    shoot(page, "admin-holds")


def test_agent_gets_the_next_call_only_after_writing_the_note(
    page: Page, site: tuple[str, FakeDialer], seed: Seed
) -> None:
    base, dialer = site
    log_in(page, base, "agent1")
    expect(page.locator("section.note")).to_be_visible()
    expect(page.locator("button.dial")).to_have_count(0)
    shoot(page, "agent-note")
    for _ in CALLS:
        page.select_option("select[name=outcome]", "negotiating")
        page.select_option("select[name=account_class]", "B")
        page.fill("textarea[name=text]", "客户表示月底前处理")
        page.click("section.note button[type=submit]")
        page.wait_for_load_state()
    dial = page.locator("table.worklist button.dial").first
    expect(dial).to_be_enabled()
    shoot(page, "agent-worklist")
    dial.click()
    # The call is over and the next one waits for its note.
    expect(page.locator("section.note")).to_be_visible()
    assert len(dialer.requests) == 1


def test_an_agent_cannot_open_qa_or_admin_pages(
    page: Page, site: tuple[str, FakeDialer], seed: Seed
) -> None:
    base, _ = site
    log_in(page, base, "agent1")
    for path in ("/qa", "/qa/report", "/admin", "/admin/users", "/admin/files/policy/cn-default"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 403, path
        expect(page.locator("p.error")).to_contain_text("无权打开此页")
    expect(page.locator("header nav")).not_to_contain_text("系统管理")


@pytest.mark.browser
def test_team_progress_draws_its_charts_under_the_csp(
    site: tuple[str, FakeDialer], page: Page
) -> None:
    """ECharts, served by the console, draws the three charts; nothing is refused by the
    Content-Security-Policy and no script fails."""
    base, _ = site
    problems = watch_problems(page)
    log_in(page, base, "sup1")
    page.goto(f"{base}/team/progress?period=week&date=2026-12-01")
    for box in ("#chart-trend", "#chart-agents", "#chart-coverage"):
        expect(page.locator(f"{box} svg")).to_have_count(1)
    assert problems == []
    shoot(page, "team-progress-zh")
