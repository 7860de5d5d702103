"""An admin's file that cannot be used is refused in the admin's language: the validation
library's and the TOML parser's English never reach the page, and every problem still names
the file, the line or key, and what is wrong (issue 20)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from store.models import User
from tests.test_calendar import MADE_UP_2027
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console

ROOT = Path(__file__).resolve().parent.parent
LIBRARY_ENGLISH = (
    "Input should",
    "Extra inputs",
    "Field required",
    "Value error",
    "Invalid isoformat",
    "Expected ']",
    "at line",
)
SAID = {
    "zh_CN": {
        "policy": (
            "cn-default.toml: colour：未知的键",
            "时段应写成",
            "未知的时区 &#39;Mars/Base&#39;",
        ),
        "lexicon": ("cn-default.toml:1：不是有效的 TOML：表头缺少结尾的“]]”",),
        "calendar": ("workdays[0]：2027-02-10 是星期三：调休上班日必须在周末",),
    },
    "en": {
        "policy": (
            "cn-default.toml: colour: unknown key",
            "write a slot as &#39;HH:MM-HH:MM&#39;",
            "unknown time zone &#39;Mars/Base&#39;",
        ),
        "lexicon": ("cn-default.toml:1: not valid TOML: a table header lacks its closing",),
        "calendar": ("workdays[0]: 2027-02-10 is a Wednesday: adjusted working days",),
    },
}


@pytest.fixture
def bare(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


def _refused_page(client: object, path: str, data: dict[str, str]) -> str:
    reply = client.post(path, data=data)  # type: ignore[attr-defined]
    assert reply.status_code == 422, reply.text[-600:]
    text: str = reply.text
    for english in LIBRARY_ENGLISH:
        assert english not in text, (english, text[-1500:])
    return text


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_refused_file_is_explained_in_the_admins_language(bare: Seed, locale: str) -> None:
    with bare.app.sessions.begin() as session:
        session.execute(update(User).where(User.username == "admin1").values(locale=locale))
    client = console_client(bare.app, FakeDialer(bare.app))
    token = login(client, "admin1")
    policy = (ROOT / "config/policy/cn-default.toml").read_text(encoding="utf-8")
    policy = policy.replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"\ncolour = "red"')
    policy = policy.replace('"08:00-11:00",', '"8-11",')
    pages = {
        "policy": _refused_page(
            client, "/admin/files/policy/cn-default", {"content": policy, "csrf": token}
        ),
        "lexicon": _refused_page(
            client,
            "/admin/files/lexicon/cn-default",
            {"content": "[[categories]\nbad", "csrf": token},
        ),
        "calendar": _refused_page(
            client,
            "/admin/calendar/preview",
            {
                "content": MADE_UP_2027.replace('"2027-02-06", "2027-02-20"', '"2027-02-10"'),
                "csrf": token,
            },
        ),
    }
    for kind, words in SAID[locale].items():
        for said in words:
            assert said in pages[kind], (kind, said, pages[kind][-1500:])
    # nothing was put in force
    assert not (bare.app.paths.admin_dir("policy") / "cn-default.toml").exists()
    assert not (bare.app.paths.admin_dir("lexicon") / "cn-default.toml").exists()
