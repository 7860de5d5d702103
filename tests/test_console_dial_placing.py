"""The worklist while the demo's dialler is placing an agent's call, before the call has an
attempt row: the page says so and refreshes itself until the note form opens (the browser's
round from 拨打 to the drafted note, with no reload by hand)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.app import App
from console.web.dialing import SandboxPreviewDialer
from tests.test_kept_schedule_page import OFFERED
from tests.webclient import console_client, login
from tests.webdata import Seed, console_app, seed_console

REFRESH = '<meta http-equiv="refresh"'


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


def test_the_page_refreshes_while_the_call_is_being_placed(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    ringing, hung_up = threading.Event(), threading.Event()

    def placing(*_args: Any, **_kwargs: Any) -> None:
        ringing.set()
        hung_up.wait(10)  # the call is being placed: no attempt row yet

    monkeypatch.setattr(App, "run_campaign", placing)
    dialer = SandboxPreviewDialer(seed.app, core=object)  # type: ignore[arg-type]
    client = console_client(seed.app, dialer)  # type: ignore[arg-type]
    token = login(client, "agent1")
    number, case = OFFERED.findall(client.get("/agent").text)[0]
    try:
        sent = client.post(
            "/agent/dial", data={"phone_number_id": number, "case_id": case, "csrf": token}
        )
        assert sent.status_code == 303 and ringing.wait(5)
        page = client.get("/agent").text
        assert REFRESH in page and "正在拨打" in page
    finally:
        hung_up.set()
        assert dialer.wait(5)
    assert REFRESH not in client.get("/agent").text
