"""``callwarden demo`` serving its console with a dialler, as a user starts it: an agent logs in
over HTTP, presses Dial, and a real call goes through the demo's Asterisk to a simulated
phone that answers and speaks; it is recorded, transcribed (Whisper) and checked, and the
note form opens drafted from the transcript. SIGTERM then stops all of it: no Asterisk is
left running. (The demo is SQLite by design, as ``test_demo.py``.)"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from dialer.sandbox import default_cache, instance_name
from dialer.sandbox.instances import asterisk_pids
from tests.browser import _free_port
from tests.liveserver import logged_in

pytestmark = [pytest.mark.asterisk, pytest.mark.model, pytest.mark.slow]
READY = "the console's clock"
DIAL_FORM = re.compile(
    r'name="phone_number_id" value="(\d+)">\s*<input type="hidden" name="case_id" value="(\d+)"'
)
LOGIN = re.compile(r"^  agent\s+(a01)\s+(\S+)$", re.MULTILINE)
CLOCK = re.compile(r"the console's clock (?:goes on|runs) from (\d{4}-\d\d-\d\d \d\d:\d\d)")


@contextmanager
def demo(cwd: Path, port: int) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """``callwarden demo --no-calls`` (its console, dialling), output to a file; stopped with
    SIGTERM at the end if the test has not stopped it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWARDEN_")}
    env["CALLWARDEN_CONSOLE_PORT"] = str(port)
    log = cwd / "demo.out"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "console.cli", "demo", "--no-calls"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_for(log: Path, text: str, proc: subprocess.Popen[bytes], seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while text not in (said := log.read_text(encoding="utf-8", errors="replace")):
        assert proc.poll() is None, said[-4000:]
        assert time.monotonic() < deadline, said[-4000:]
        time.sleep(0.5)
    return said


def poll(client: httpx.Client, done: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while done not in (page := client.get("/agent").text):
        assert time.monotonic() < deadline, page[-3000:]
        time.sleep(1)
    return page


def attempts(db: Path) -> list[tuple[int, str, str, int | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT a.id, a.status, a.reserved_at, r.id FROM call_attempt a "
            "LEFT JOIN recording r ON r.call_attempt_id = a.id ORDER BY a.id"
        ).fetchall()


def test_an_agent_dials_from_the_demo_console_and_the_note_is_drafted(tmp_path: Path) -> None:
    port = _free_port()
    var = tmp_path / "var"
    with demo(tmp_path, port) as (proc, log), ExitStack() as stack:
        said = wait_for(log, READY, proc, 180)
        found, clock = LOGIN.search(said), CLOCK.search(said)
        assert found and clock, said
        day = datetime.strptime(clock.group(1), "%Y-%m-%d %H:%M").replace(
            tzinfo=ZoneInfo("Asia/Shanghai")
        )
        client, token = logged_in(f"http://127.0.0.1:{port}", "a01", found.group(2))
        stack.callback(client.close)
        answered = _dial_until_answered(client, token, var / "callwarden.db")
        # the note form opens drafted from the call's transcript (Whisper, in the demo)
        page = poll(client, 'id="drafted"', 300)
        note = re.search(r'<textarea name="text"[^>]*>([^<]+)</textarea>', page)
        assert note and re.search(r"[\u4e00-\u9fff]", note.group(1)), page[-3000:]
        with sqlite3.connect(var / "callwarden.db") as conn:
            status = conn.execute(
                "SELECT r.status, count(u.id) FROM recording r "
                "LEFT JOIN utterance u ON u.recording_id = r.id "
                "WHERE r.call_attempt_id = ? GROUP BY r.status",
                (answered[0],),
            ).fetchone()
        assert status is not None and status[0] == "transcribed" and status[1] > 0
        # the policy judged the call on the demo's day, on the clock the console shows
        reserved = datetime.fromisoformat(answered[2]).replace(tzinfo=ZoneInfo("UTC"))
        assert day <= reserved <= day + timedelta(minutes=15), (day, reserved)

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text(encoding="utf-8")[-3000:]
    core = instance_name("demo", var / "demo")
    for instance in (core, f"{core}-phones"):
        config = f"/callwarden/{instance}/etc/asterisk.conf"
        assert asterisk_pids(str(default_cache()), config) == [], instance
    in_flight = [a for a in attempts(var / "callwarden.db") if a[1] in ("reserved", "originated")]
    assert in_flight == []


def _dial_until_answered(
    client: httpx.Client, token: str, db: Path
) -> tuple[int, str, str, int | None]:
    """Dial the first number offered; a callee that does not answer gets its note, and the
    next number is dialled (every sixth simulated number rings out, is busy or unreachable)."""
    for _ in range(4):
        page = client.get("/agent").text
        offered = DIAL_FORM.search(page)
        assert offered, page[-3000:]
        dialled = client.post(
            "/agent/dial",
            data={"phone_number_id": offered[1], "case_id": offered[2], "csrf": token},
        )
        assert dialled.status_code == 303, dialled.text[-3000:]
        poll(client, 'id="note-form"', 120)  # the call has ended: its note is owed
        last = attempts(db)[-1]
        if last[1] == "answered":
            return last
        saved = client.post(
            "/agent/notes",
            data={
                "attempt_id": last[0],
                "outcome": "busy" if last[1] == "busy" else "no_answer",
                "text": "未接通",
                "csrf": token,
            },
        )
        assert saved.status_code == 303, saved.text[-3000:]
    raise AssertionError(f"no call answered: {attempts(db)}")
