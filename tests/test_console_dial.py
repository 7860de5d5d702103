"""An agent preview-dials from the console through the real dialer: embedded Asterisk, simulated
phones over SIP/RTP, the FastAGI gate, recording, and the note before the next call."""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from config import Settings
from config.settings import PathSettings
from console.app import App, build_app
from console.users import add_user
from console.web.dialing import SandboxPreviewDialer
from store.enums import AttemptStatus, Role
from store.models import CallAttempt, Recording
from tests.test_cli import run
from tests.test_sandbox import book_with_scenarios
from tests.webclient import console_client, login

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]
AT = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_agent_preview_dials_through_asterisk_and_owes_a_note(tmp_path: Path) -> None:
    book_with_scenarios(tmp_path, "cw01", lambda _: True)
    up = run(["sandbox", "up", "--agi-port", "0", "--phones", "scenarios.json"], tmp_path)
    assert up.returncode == 0, up.stderr
    app = build_app(Settings(paths=PathSettings(var_dir=tmp_path / "var")))
    try:
        with app.sessions.begin() as session:
            add_user(session, "agent1", Role.AGENT, "correct-horse-1", "test", "A01")
        dialer = SandboxPreviewDialer(app)
        client = console_client(app, dialer, at=AT)  # type: ignore[arg-type]
        token = login(client, "agent1")
        page = client.get("/agent").text
        assert "暂不能拨打" not in page
        number_id, case_id = re.findall(
            r'name="phone_number_id" value="(\d+)">\s*<input type="hidden" name="case_id" '
            r'value="(\d+)"',
            page,
        )[0]
        dialled = client.post(
            "/agent/dial", data={"phone_number_id": number_id, "case_id": case_id, "csrf": token}
        )
        assert dialled.status_code == 303
        deadline = time.monotonic() + 120
        while "催收记录" not in (page := client.get("/agent").text):
            assert time.monotonic() < deadline, page
            time.sleep(1)
        # The recording is collected once both directions' files are complete.
        while not (recordings := _recordings(app)):
            assert time.monotonic() < deadline, "no recording stored"
            time.sleep(0.5)
        with app.sessions() as session:
            attempt = session.scalars(select(CallAttempt)).one()
        assert attempt.status is AttemptStatus.ANSWERED and attempt.agent_id is not None
        assert attempt.phone_number_id == int(number_id)
        assert len(recordings) == 1 and recordings[0].channels == 2
        assert recordings[0].call_attempt_id == attempt.id
        while dialer.unavailable() is not None:  # the one-number campaign winds down
            assert time.monotonic() < deadline, dialer.unavailable()
            time.sleep(0.2)
        # The next call waits for this call's note.
        again = client.post(
            "/agent/dial", data={"phone_number_id": number_id, "case_id": case_id, "csrf": token}
        )
        assert again.status_code == 409
        saved = client.post(
            "/agent/notes",
            data={
                "attempt_id": attempt.id,
                "outcome": "negotiating",
                "text": "已沟通",
                "csrf": token,
            },
        )
        assert saved.status_code == 303
        assert "拨打</button>" in client.get("/agent").text
    finally:
        run(["sandbox", "down"], tmp_path)
        app.engine.dispose()


def _recordings(app: App) -> list[Recording]:
    with app.sessions() as session:
        return list(session.scalars(select(Recording)))
