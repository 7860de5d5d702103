"""The embedded Asterisk for real: built from the cached root, AMI, and our FastAGI gate."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from console.demo import sample_cases_path
from dialer.agi import AgiSession
from dialer.agi.thread import AgiThread as ServerThread
from dialer.ami import AmiEvent, OriginateRequest, PystAmi
from dialer.errors import AmiUnavailable
from dialer.sandbox import (
    Sandbox,
    default_cache,
    ensure_root,
    instance_name,
    new_sandbox,
    start,
    status,
    stop,
)
from tests.conftest import FIXTURES
from tests.test_cli import run

pytestmark = pytest.mark.asterisk


class AgiThread(ServerThread):
    """Our FastAGI server on its own event loop, answering the self-test script."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[tuple[str, tuple[str, ...], str | None]] = []
        self.server.handlers["selftest"] = self.handle

    async def handle(self, session: AgiSession) -> None:
        attempt = await session.get_variable("CW_ATTEMPT")
        self.requests.append((session.request.script, session.request.args, attempt))
        await session.set_variable("CW_DECISION", "allow")


@pytest.fixture(scope="module")
def agi() -> Iterator[AgiThread]:
    server = AgiThread()
    yield server
    server.close()


@pytest.fixture(scope="module")
def sandbox(agi: AgiThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = ensure_root(default_cache())
    state = tmp_path_factory.mktemp("sandbox") / "sandbox.json"
    running = start(new_sandbox(root, instance_name("t", state.parent), agi.port), state)
    yield running
    stop(running, state)


def test_asterisk_is_up_with_our_config(sandbox: Sandbox) -> None:
    assert status(sandbox).startswith("running")
    etc = sandbox.home / "etc"
    assert f"port = {sandbox.ami_port}" in (etc / "manager.conf").read_text()
    assert "bindaddr = 127.0.0.1" in (etc / "manager.conf").read_text()
    assert "@@" not in "".join(p.read_text() for p in etc.iterdir())


def test_ami_originates_into_the_fastagi_gate(sandbox: Sandbox, agi: AgiThread) -> None:
    ami = PystAmi("127.0.0.1", sandbox.ami_port, sandbox.ami_user, sandbox.ami_secret)
    events: list[AmiEvent] = []
    ami.on_event(events.append)
    try:
        ami.originate(
            OriginateRequest(
                channel="Local/s@callwarden-selftest",
                context="callwarden-selftest",
                variables={"CW_ATTEMPT": "4242"},
                action_id="attempt-4242",
            )
        )
        deadline = time.monotonic() + 10
        while not agi.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        ami.close()
    assert agi.requests[0] == ("selftest", ("one", "", "three"), "4242")
    assert any(
        e.name == "OriginateResponse" and e.headers.get("ActionID") == "attempt-4242"
        for e in events
    )


def test_wrong_credentials_are_refused(sandbox: Sandbox) -> None:
    with pytest.raises(AmiUnavailable):
        PystAmi("127.0.0.1", sandbox.ami_port, sandbox.ami_user, "wrong")


def test_stop_and_status(agi: AgiThread, tmp_path: Path) -> None:
    root = ensure_root(default_cache())
    state = tmp_path / "sandbox.json"
    running = start(new_sandbox(root, instance_name("s", tmp_path), agi.port), state)
    assert state.is_file() and status(running).startswith("running")
    stop(running, state)
    assert not state.exists() and status(running).startswith("stopped")


def test_sandbox_commands(tmp_path: Path) -> None:
    up = run(["sandbox", "up", "--agi-port", "0"], tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        assert up.stdout.startswith("running: Asterisk")
        assert run(["sandbox", "status"], tmp_path).stdout.startswith("running")
        assert run(["sandbox", "up"], tmp_path).stdout.startswith("running")  # already up
    finally:
        down = run(["sandbox", "down"], tmp_path)
    assert down.returncode == 0
    assert run(["sandbox", "status"], tmp_path).stdout.startswith("stopped")


def book_with_one_agent(folder: Path) -> None:
    """What a user sets up first: the database, the sample cases, agent A01."""
    assert run(["init"], folder).returncode == 0
    assert run(["import", "cases", str(sample_cases_path())], folder).returncode == 0
    assert run(["agent", "add", "A01", "--sip", "PJSIP/a01@simnet"], folder).returncode == 0


def test_dial_command_runs_a_campaign_against_the_sandbox(tmp_path: Path) -> None:
    book_with_one_agent(tmp_path)
    refused = run(["dial"], tmp_path)
    assert refused.returncode == 2 and "sandbox up" in refused.stderr
    assert run(["sandbox", "up", "--agi-port", "0"], tmp_path).returncode == 0
    try:
        # No phone network behind the trunk: every number is unreachable, fast.
        dialled = run(
            [
                "dial",
                "--at",
                "2026-12-01 10:00",
                "--agents",
                "A01",
                "--run-for",
                "4",
                "--ring-timeout",
                "2",
            ],
            tmp_path,
            timeout=60,
        )
        skipped = run(
            ["dial", "--at", "2026-12-01 11:00", "--preview", "A01"], tmp_path, stdin="q\n"
        )
        previewed = run(
            ["dial", "--at", "2026-12-01 11:00", "--preview", "A01", "--ring-timeout", "2"],
            tmp_path,
            timeout=60,
            stdin="n\ny\nq\n",  # skip the first number, dial the second, then stop
        )
    finally:
        run(["sandbox", "down"], tmp_path)
    assert skipped.returncode == 0 and "dial? [y/n/q]" in skipped.stderr
    assert "calls placed" not in skipped.stdout
    assert previewed.returncode == 0, previewed.stderr
    assert previewed.stderr.count("dial? [y/n/q]") == 3
    assert re.search(r"^1 calls placed", previewed.stdout), previewed.stdout
    assert dialled.returncode == 0, dialled.stderr
    # nobody listens behind the trunk: the calls ring out unanswered
    placed = re.search(r"^([1-9]\d*) calls placed .*: no_answer (\d+);", dialled.stdout)
    assert placed and placed.group(1) == placed.group(2), dialled.stdout


def book_with_scenarios(folder: Path, call_id: str, answers: Callable[[int], bool]) -> list[str]:
    """The book with agent A01, and ``scenarios.json``: the i-th number (by E.164) answers with
    the labelled call ``call_id`` when ``answers(i)``, else is busy. Returns the numbers."""
    book_with_one_agent(folder)
    with sqlite3.connect(folder / "var" / "callwarden.db") as db:
        numbers = [row[0] for row in db.execute("SELECT e164 FROM phone_number ORDER BY e164")]
    calls = folder / "calls"
    calls.mkdir()
    for suffix in (".wav", ".json"):
        shutil.copy(FIXTURES / "calls" / f"{call_id}{suffix}", calls / f"{call_id}{suffix}")
    answer = {"behaviour": "answer", "call": f"calls/{call_id}.wav", "rings_s": 0.5}
    scenarios = {n: answer if answers(i) else {"behaviour": "busy"} for i, n in enumerate(numbers)}
    (folder / "scenarios.json").write_text(json.dumps({"numbers": scenarios}))
    return numbers


def test_a_campaign_against_a_scenario_file(tmp_path: Path) -> None:
    """What a user does: their own scenarios, the sandbox with phones, a limited campaign."""
    numbers = book_with_scenarios(tmp_path, "cw07", lambda i: i % 2 == 1)
    bad = run(["sandbox", "up", "--phones", str(tmp_path / "calls" / "cw07.json")], tmp_path)
    assert bad.returncode == 2 and "expected" in bad.stderr
    up = run(["sandbox", "up", "--agi-port", "0", "--phones", "scenarios.json"], tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        assert f"phones: {len(numbers)} numbers, running" in up.stdout
        dialled = run(
            [
                "dial",
                "--at",
                "2026-12-01 10:00",
                "--agents",
                "A01",
                "--limit",
                "4",
                "--ring-timeout",
                "5",
            ],
            tmp_path,
            timeout=180,
        )
    finally:
        run(["sandbox", "down"], tmp_path)
    assert dialled.returncode == 0, dialled.stderr
    placed = re.search(r"^4 calls placed .*?: (.*); (\d+) recordings queued", dialled.stdout)
    assert placed, dialled.stdout
    outcomes = dict(item.rsplit(" ", 1) for item in placed.group(1).split(", "))
    assert set(outcomes) <= {"answered", "busy"} and sum(map(int, outcomes.values())) == 4
    assert int(placed.group(2)) == int(outcomes.get("answered", 0))
    with sqlite3.connect(tmp_path / "var" / "callwarden.db") as db:
        stored = db.execute("SELECT count(*) FROM recording WHERE status = 'stored'").fetchone()
    assert stored == (int(placed.group(2)),)  # waiting for the workers
