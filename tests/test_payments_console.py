"""The agent's case page shows the case's payments and whether each promise was kept,
Chinese first with English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from store.models import CallAttempt, Case
from store.payments import import_payments
from tests.helpers import write_csv
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, Seed, console_app, seed_console


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, ["cw07"])
    app.engine.dispose()


def test_the_case_page_shows_payments_and_the_promise_pending_then_partly_kept(
    seed: Seed, tmp_path: Path
) -> None:
    client = console_client(seed.app, FakeDialer(seed.app))
    token = login(client, "agent1")
    attempt = seed.attempts["cw07"]
    saved = client.post(
        "/agent/notes",
        data={
            "attempt_id": attempt,
            "outcome": "promise_to_pay",
            "promised_amount": "2000",
            "promised_date": "2026-12-20",
            "text": "本人接听；承诺 20 号前还两千。",
            "csrf": token,
        },
    )
    assert saved.status_code == 303, saved.text
    with seed.app.sessions.begin() as session:
        case = session.get_one(Case, session.get_one(CallAttempt, attempt).case_id)
        case.imported_at = CALL_DAY - timedelta(days=1)
        case_id, account = case.id, case.account_no
    path = write_csv(
        tmp_path / "payments.csv",
        ["account_no", "amount", "paid_on", "channel", "reference"],
        [[account, "1,500.00", "2026-12-01", "手机银行", "R-0001"]],
    )
    shanghai = ZoneInfo("Asia/Shanghai")
    import_payments(path, seed.app.sessions, "test", now=CALL_DAY, zone=shanghai)

    page = client.get(f"/agent/cases/{case_id}").text
    assert "还款记录" in page and "手机银行" in page and "R-0001" in page
    assert "¥1500.00" in page and "待到期" in page

    later = console_client(seed.app, FakeDialer(seed.app), at=CALL_DAY + timedelta(days=20))
    login(later, "agent1")
    page = later.get(f"/agent/cases/{case_id}").text
    assert "部分履约" in page and "· ¥1500.00" in page
