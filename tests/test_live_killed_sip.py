"""The live transcriber killed mid-call over real SIP (issue 18 item 6): `callwarden live`
follows a campaign call to a simulated phone playing cw01 (31 s) with the real model, and is
killed (SIGKILL) once it has heard something. The call goes on to its end, is recorded whole,
and the batch pipeline transcribes all of it afterwards; nothing of the live path is reused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import Settings
from config.settings import DatabaseSettings, PathSettings
from console.app import build_app
from recorder.intake import CallMetadata
from store.db import SessionFactory
from store.enums import AttemptStatus
from store.models import CallAttempt, LiveCall, LiveUtterance, Utterance
from tests.test_campaign import Network, campaign, network  # noqa: F401 (the fixture)
from tests.test_reservation import at
from tests.test_worker import wait_for

pytestmark = [pytest.mark.asterisk, pytest.mark.model, pytest.mark.slow]
CALL_S = 31.4
"""cw01's length: the simulated phone plays all of it, then hangs up."""


def _live_rows(sessions: SessionFactory) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(LiveUtterance)) or 0)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_killed_live_transcriber_leaves_the_call_whole_for_the_batch(
    sessions: SessionFactory, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    net: Network = request.getfixturevalue("network")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWARDEN_")}
    env["CALLWARDEN_DATABASE_URL"] = db_url
    env["CALLWARDEN_PATHS_VAR_DIR"] = str(tmp_path / "var")
    live = subprocess.Popen(
        [sys.executable, "-m", "console.cli", "live", "--spool", str(net.core.recordings)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: killed with whatever it started
    )
    summaries = []
    dialler = threading.Thread(
        target=lambda: summaries.append(
            campaign(sessions, net.core, net.gate, {1: [net.items[0]]}, at(10)).run()
        )
    )
    try:
        dialler.start()
        wait_for(lambda: _live_rows(sessions) > 0, 60, "the live path to hear the call")
        killed_at = time.monotonic()
        os.killpg(live.pid, signal.SIGKILL)  # mid-call: the call does not notice
        assert live.wait(timeout=10) == -signal.SIGKILL
        heard_live = _live_rows(sessions)
        dialler.join(timeout=120)
    finally:
        if live.poll() is None:
            os.killpg(live.pid, signal.SIGKILL)
            live.wait(timeout=10)
        dialler.join(timeout=120)
    assert not dialler.is_alive()
    call_ended_after = time.monotonic() - killed_at
    [summary] = summaries
    [(attempt_id, recording)] = summary.recordings
    with sessions() as session:
        attempt = session.get_one(CallAttempt, attempt_id)
        assert attempt.status == AttemptStatus.ANSWERED and attempt.ended_at is not None
        assert session.get(LiveCall, attempt_id) is None  # not heard whole: never reused
        live_ends = list(session.scalars(select(LiveUtterance.end_s)))
    assert heard_live >= 1 and max(live_ends) < CALL_S - 5.0
    assert call_ended_after > 3.0  # the call went on well after the follower died
    app = build_app(
        Settings(
            database=DatabaseSettings(url=db_url), paths=PathSettings(var_dir=tmp_path / "var")
        )
    )
    try:
        intake = app.store_recording(
            recording, CallMetadata(call_attempt_id=attempt_id, agent_channel=0)
        )
        outcome = app.processor().process(intake.recording_id)
    finally:
        app.engine.dispose()
    assert outcome.status == "transcribed"
    with sessions() as session:
        ends = list(session.scalars(select(Utterance.end_s)))
    assert ends and max(ends) > CALL_S - 6.0  # the whole call, after it ended
