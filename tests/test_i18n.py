"""The console in two languages: every marked message translated in both catalogs, Chinese for
whoever chose nothing, English for a user who chose it (kept with their account)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from console.cli import main
from console.i18n import LOCALES, translations, use_locale
from console.i18n import gettext as _
from console.i18n_catalogs import extract, gaps, load
from console.web.auth import LOCALE_COOKIE
from store.models import AuditLog, User
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console


def test_every_marked_message_is_translated_in_both_catalogs() -> None:
    marked = extract()
    assert len(marked) > 20, "the extraction found the console's messages"
    problems = []
    for locale in LOCALES:
        found = gaps(locale, set(marked))
        problems += [f"{locale} lacks {m!r} (marked at {marked[m][1]})" for m in found.untranslated]
        problems += [f"{locale} keeps {m!r}, which nothing marks" for m in found.stale]
    assert not problems, "run scripts/i18n_sync.py, then translate:\n" + "\n".join(problems)


PLACEHOLDER = re.compile(r"%\(\w+\)[sdr]|%%")


def test_every_translation_keeps_its_placeholders() -> None:
    """A msgstr without its msgid's %(name)s would raise (or drop a number) on the page."""
    for locale in LOCALES:
        for entry in load(locale):
            if not entry.id or not isinstance(entry.id, str):
                continue
            wanted = sorted(PLACEHOLDER.findall(entry.id))
            assert sorted(PLACEHOLDER.findall(str(entry.string))) == wanted, (locale, entry.id)


def test_the_catalogs_compile_and_chinese_is_the_default() -> None:
    assert translations("en").gettext("退出登录") == "Log out"
    assert translations("zh_CN").gettext("退出登录") == "退出登录"
    assert _("退出登录") == "退出登录"
    with use_locale("en"):
        assert _("退出登录") == "Log out"
    with use_locale("fr"):  # a language the console does not speak: Chinese
        assert _("退出登录") == "退出登录"


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, ["cw07"])
    app.engine.dispose()


@pytest.fixture
def client(seed: Seed) -> TestClient:
    return console_client(seed.app, FakeDialer(seed.app))


def test_login_page_is_chinese_unless_the_browser_chose_english(client: TestClient) -> None:
    page = client.get("/login")
    assert "<h1>登录</h1>" in page.text and 'lang="zh-CN"' in page.text
    english = client.get("/login?lang=en")
    assert "<h1>Log in</h1>" in english.text and english.cookies[LOCALE_COOKIE] == "en"
    assert "<h1>Log in</h1>" in client.get("/login").text  # the cookie remembers it
    wrong = client.post("/login", data={"username": "qa1", "password": "nope", "csrf": "x"})
    assert "The login form expired" in wrong.text


def test_a_user_switches_language_and_it_stays_with_the_account(
    client: TestClient, seed: Seed
) -> None:
    token = login(client, "agent1")
    page = client.get("/agent")
    assert "我的工作队列" in page.text and "My worklist" not in page.text
    reply = client.post("/me/locale", data={"csrf": token, "locale": "en", "next": "/agent"})
    assert reply.status_code == 303 and reply.headers["location"] == "/agent"
    page = client.get("/agent")
    assert "My worklist" in page.text and "我的工作队列" not in page.text
    assert 'lang="en"' in page.text
    refused = client.post("/me/locale", data={"csrf": token, "locale": "fr"})
    assert refused.status_code == 400 and "No such language" in refused.text
    with seed.app.sessions() as session:
        assert session.scalar(select(User.locale).where(User.username == "agent1")) == "en"
        assert session.scalar(select(AuditLog.action).where(AuditLog.action == "user.locale"))
    # A fresh browser: the login page is Chinese, the pages after it are the user's English.
    other = console_client(seed.app, FakeDialer(seed.app))
    assert "<h1>登录</h1>" in other.get("/login").text
    login(other, "agent1")
    assert "My worklist" in other.get("/agent").text


def test_cli_sets_a_users_language(
    seed: Seed, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", db_url)
    monkeypatch.setenv("CALLWARDEN_PATHS_VAR_DIR", str(tmp_path / "var"))
    out = io.StringIO()
    assert main(["user", "locale", "qa1", "en"], out) == 0, out.getvalue()
    with seed.app.sessions() as session:
        assert session.scalar(select(User.locale).where(User.username == "qa1")) == "en"
        assert session.scalar(select(User.locale).where(User.username == "agent1")) == "zh_CN"
    with pytest.raises(SystemExit):
        main(["user", "locale", "qa1", "fr"], io.StringIO())
