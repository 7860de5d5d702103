"""The agent's worklist page is served again from the console's memory while nothing it
shows has changed (issue 17: fifty agents at once), and never once something has: after
each change, the kept page equals the page read afresh."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from console import agent_queue
from console.worklist_cache import WorklistCache
from dialer.keeper import keep_once
from store.enums import HoldReason
from store.holds import place_hold
from store.models import Case, Payment, User
from tests.test_kept_schedule_page import OFFERED, never
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, Seed, console_app, seed_console

AGENT = "agent2"


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    seeded = seed_console(app, [])
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)
    yield seeded
    app.engine.dispose()


def _shown(client: TestClient) -> str:
    """The worklist page without what differs between two loads of one page (its token)."""
    page = client.get("/agent")
    assert page.status_code == 200
    assert "本页现算" not in page.text and "computed for this page" not in page.text
    return re.sub(r'name="csrf" value="[^"]*"', "", page.text)


def _afresh(seed: Seed, client: TestClient) -> str:
    """The same page read with nothing kept."""
    kept = seed.app.worklist_pages
    object.__setattr__(seed.app, "worklist_pages", WorklistCache())
    try:
        return _shown(client)
    finally:
        object.__setattr__(seed.app, "worklist_pages", kept)


def test_a_second_load_with_nothing_changed_reads_no_case_files(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = console_client(seed.app, FakeDialer(seed.app))
    login(client, AGENT)
    first = _shown(client)
    assert OFFERED.findall(first)
    served = seed.app.worklist_pages.served
    monkeypatch.setattr(agent_queue, "case_files", never)
    assert _shown(client) == first
    assert seed.app.worklist_pages.served == served + 1


def _first_case(page: str) -> tuple[int, str]:
    case_id = int(OFFERED.findall(page)[0][1])
    return case_id, f'id="case-{case_id}"'


def test_every_change_a_page_shows_reaches_the_next_load(seed: Seed) -> None:
    app = seed.app
    client = console_client(app, FakeDialer(app))
    login(client, AGENT)
    before = _shown(client)
    case_id, row = _first_case(before)
    with app.sessions() as session:
        case = session.get_one(Case, case_id)
        account, imported_on = case.account_no, case.imported_at.date()

    def pay(session: Session) -> None:
        session.add(  # a partial payment: it marks nothing, the page still shows it
            Payment(
                case_id=case_id,
                amount_cents=12345,
                paid_on=imported_on + timedelta(days=1),  # since the import
                channel="银行转账",
                file_sha256="0" * 64,
                source_row=2,
                imported_by="test",
            )
        )

    def hold(session: Session) -> None:
        place_hold(session, account, HoldReason.STOLEN, "卡片被盗", "test", CALL_DAY)

    def english(session: Session) -> None:
        session.execute(update(User).where(User.username == AGENT).values(locale="en"))

    pages = app.worklist_pages
    seen = [before]
    for change in (pay, hold, english):
        with app.sessions.begin() as session:
            change(session)
        served = pages.served
        page = _shown(client)
        assert pages.served == served, f"after {change.__name__} the kept page was served"
        assert page == _afresh(seed, client), change.__name__
        seen.append(page)
        if change is hold:  # the owner's pass drops the held case: a new generation
            keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)
            served = pages.served
            page = _shown(client)
            assert pages.served == served and page == _afresh(seed, client)
            assert row in seen[-1] and row not in page
            seen.append(page)
    assert "已还 ¥123.45" not in before and "已还 ¥123.45" in seen[1]
    assert 'lang="zh-CN"' in seen[-2] and 'lang="en"' in seen[-1]
