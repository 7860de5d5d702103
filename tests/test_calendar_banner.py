"""The admins' banner that the holiday calendar runs out: from 45 days before the first
uncovered day, on admin pages only, gone once the year is added (both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.test_calendar import MADE_UP_2027
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console

SHANGHAI = ZoneInfo("Asia/Shanghai")
BANNER = "No statutory-holiday calendar for 2027"


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


def page(seed: Seed, user: str, at: datetime, path: str) -> str:
    client = console_client(seed.app, FakeDialer(seed.app), at)
    login(client, user)
    reply = client.get(path)
    assert reply.status_code == 200, reply.text
    return reply.text


def test_the_banner_shows_from_45_days_before_and_only_to_admins(
    seed: Seed, tmp_path: Path
) -> None:
    early = datetime(2026, 11, 16, 10, tzinfo=SHANGHAI)  # 46 days before 2027-01-01
    due = datetime(2026, 11, 17, 10, tzinfo=SHANGHAI)  # 45 days before
    assert BANNER not in page(seed, "admin1", early, "/admin")
    shown = page(seed, "admin1", due, "/admin")
    assert BANNER in shown and "2027 年法定节假日数据缺失" in shown and "45 day(s)" in shown
    assert BANNER not in page(seed, "qa1", due, "/qa")
    folder = tmp_path / "var" / "calendar"
    folder.mkdir(parents=True)
    (folder / "cn-2027.toml").write_text(MADE_UP_2027, encoding="utf-8")
    assert BANNER not in page(seed, "admin1", due, "/admin")
