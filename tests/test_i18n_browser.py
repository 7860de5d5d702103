"""The console in both languages in a real browser (issue 20 item 1): a few key pages in
Chinese (the default) and, after the header's switch, in English, each screenshot kept as an
artefact (var/artefacts/screenshots/i18n-*)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import log_in, served, shoot, template_copy, watch_problems
from tests.webclient import FakeDialer
from tests.webdata import Seed, console_app, seed_console

pytestmark = pytest.mark.browser

HAN = re.compile(r"[\u4e00-\u9fff]")
PAGES = {
    "agent1": ["/agent"],
    "qa1": ["/qa", "/qa/review"],
    "sup1": ["/team/progress", "/team/ranking"],
    "admin1": ["/admin", "/complaints"],
}


@pytest.fixture
def seed(tmp_path: Path, sqlite_template: Path) -> Iterator[Seed]:
    app = console_app(template_copy(tmp_path, sqlite_template), tmp_path / "var")
    yield seed_console(app, ["cw07", "cw01"])
    app.engine.dispose()


@pytest.fixture
def base(seed: Seed) -> Iterator[str]:
    with served(seed.app, FakeDialer(seed.app)) as found:
        yield found


def _page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    return context.new_page()


def test_login_page_in_chinese_then_english(browser: Browser, base: str) -> None:
    page = _page(browser)
    page.goto(f"{base}/login")
    expect(page.locator("h1")).to_have_text("登录")  # an English browser still gets Chinese
    shoot(page, "i18n-login-zh_CN")
    page.click("header a[lang=en]")
    expect(page.locator("h1")).to_have_text("Log in")
    shoot(page, "i18n-login-en")
    page.context.close()


@pytest.mark.parametrize("user", sorted(PAGES))
def test_key_pages_in_both_languages(browser: Browser, base: str, user: str) -> None:
    page = _page(browser)
    problems = watch_problems(page)
    log_in(page, base, user)
    for path in PAGES[user]:
        page.goto(f"{base}{path}")
        nav = page.locator("header nav")
        assert HAN.search(nav.inner_text()), f"{path}: the Chinese nav has no Chinese"
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        shoot(page, f"i18n-{user}-{path.strip('/').replace('/', '-')}-zh_CN")
    page.click("header form.locale button[value=en]")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    for path in PAGES[user]:
        page.goto(f"{base}{path}")
        nav = page.locator("header nav").inner_text()
        assert not HAN.search(nav), f"{path}: Chinese left in the English nav: {nav!r}"
        assert page.locator("header form.logout button").inner_text() == "Log out"
        shoot(page, f"i18n-{user}-{path.strip('/').replace('/', '-')}-en")
    page.click("header form.locale button[value=zh_CN]")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert not problems, problems
    page.context.close()
