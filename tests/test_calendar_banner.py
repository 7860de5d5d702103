"""The admins' banner that the holiday calendar runs out: from 45 days before the first
uncovered day, on admin pages only, gone once the year is added (both databases)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from store.models import AuditLog, ConfigVersion
from tests.test_calendar import MADE_UP_2027
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console

SHANGHAI = ZoneInfo("Asia/Shanghai")
BANNER = "2027 年法定节假日数据缺失"


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
    assert BANNER in shown and "45 天后" in shown
    assert BANNER not in page(seed, "qa1", due, "/qa")
    folder = tmp_path / "var" / "calendar"
    folder.mkdir(parents=True)
    (folder / "cn-2027.toml").write_text(MADE_UP_2027, encoding="utf-8")
    assert BANNER not in page(seed, "admin1", due, "/admin")


def test_an_admin_adds_a_year_on_the_calendar_page(seed: Seed, tmp_path: Path) -> None:
    due = datetime(2026, 11, 17, 10, tzinfo=SHANGHAI)
    client = console_client(seed.app, FakeDialer(seed.app), due)
    token = login(client, "admin1")
    first = client.get("/admin/calendar")
    assert first.status_code == 200 and "2027：未覆盖" in first.text
    # a year with an error: named, nothing kept, the pasted text kept in the form
    broken = MADE_UP_2027.replace('last = "2027-02-14"', 'last = "2027-02-31"')
    bad = client.post("/admin/calendar", data={"content": broken, "csrf": token})
    assert bad.status_code == 422 and "calendar.toml" in bad.text and "2027-02-31" in bad.text
    assert not (tmp_path / "var" / "calendar" / "cn-2027.toml").exists()
    # preview: the working days that change, and nothing kept yet
    preview = client.post("/admin/calendar/preview", data={"content": MADE_UP_2027, "csrf": token})
    assert preview.status_code == 200 and "2027-02-06（周六）" in preview.text
    assert not (tmp_path / "var" / "calendar" / "cn-2027.toml").exists()
    kept = client.post(
        "/admin/calendar", data={"content": MADE_UP_2027, "note": "通知已核对", "csrf": token}
    )
    assert kept.status_code == 200 and "v1" in kept.text, kept.text
    assert (tmp_path / "var" / "calendar" / "cn-2027.toml").read_text("utf-8") == MADE_UP_2027
    assert "2027：已覆盖" in kept.text and BANNER not in kept.text
    again = client.post("/admin/calendar", data={"content": MADE_UP_2027, "csrf": token})
    assert "未改动" in again.text  # the same content is not a new version
    with seed.app.sessions() as session:
        rows = session.scalars(select(ConfigVersion).where(ConfigVersion.kind == "calendar"))
        assert [(r.name, r.version, r.author) for r in rows] == [("cn-2027", 1, "admin1")]
        actions = session.scalars(select(AuditLog.action)).all()
        assert actions.count("calendar.add") == 1
    login(client, "qa1")
    assert client.get("/admin/calendar").status_code == 403
