"""Two nodes, one database (issue 17, item 6): the README's "Production and scale-out" topology.

Node A and node B each run their own embedded Asterisk (with its simulated phone network),
their own ``callwarden dial`` process and their own ``callwarden worker``; the workers share
one Redis queue, and everything shares one PostgreSQL database and one recordings folder
(``var/recordings`` on each node is the same folder, as a network mount would be). The book
overlaps: every debtor has cases with an agent on each node, listed in the same order, so
both nodes reach for the same number at the same moment. Afterwards, from the database:
no number was in two calls at once, no person's daily caps were exceeded, and every
answered call has one recording, transcribed once (one try, no utterance twice), with the
flag its scripted call carries.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import redis

from recorder.keys import write_key_file
from tests.conftest import FIXTURES, postgres_admin_url
from tests.test_cli import run
from transcriber.model import assemble_base_model

pytestmark = [pytest.mark.asterisk, pytest.mark.model, pytest.mark.postgres, pytest.mark.slow]
PROFILE = FIXTURES / "twonode" / "any-hour.toml"
ZONE = ZoneInfo("Asia/Shanghai")  # the profile's: its caps count calendar days there
DEBTORS = {  # mobile: (resident id, the labelled call the phone plays, its violation)
    "13800000101": ("110101196001010003", "cw07", "impersonation"),
    "13800000102": ("310101196001010019", "cw18", "insult"),
    "13800000103": ("440106196001010028", "cw24", "private_payment"),
    "13800000104": ("330106196001010030", "cw21", "induce_borrowing"),
}
WORKLISTS = {  # agent: the mobiles on its worklist, most overdue first
    "A01": ["13800000101", "13800000102", "13800000101", "13800000102"],
    "A02": ["13800000103", "13800000104"],
    "B01": ["13800000101", "13800000102", "13800000101", "13800000102"],
    "B02": ["13800000103", "13800000104"],
}
NODES = {"a": "A01,A02", "b": "B01,B02"}
CONNECTED_CAP, UNANSWERED_CAP = 3, 5


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (``callwarden init`` migrates it)."""
    admin = postgres_admin_url()
    name = f"cw_two_{uuid.uuid4().hex[:10]}"
    libpq = admin.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A Redis database of its own on the shared server: the queue's name is fixed, so a
    database number no one uses keeps other runs' workers off this test's recordings."""
    base = os.environ.get("CALLWARDEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    server = base.rsplit("/", 1)[0]
    for index in range(15, 0, -1):
        client = redis.Redis.from_url(f"{server}/{index}")
        if client.dbsize() == 0:
            client.set("callwarden-two-node-test", "1")  # taken
            break
        client.close()
    else:
        pytest.fail(f"no empty Redis database on {server}")
    try:
        yield f"{server}/{index}"
    finally:
        client.flushdb()
        client.close()


def write_book(folder: Path) -> Path:
    """One case per worklist entry; a debtor's cases differ only in account and agent."""
    path = folder / "book.csv"
    header = "client_bank,account_no,debtor_name,resident_id,mobile,amount_overdue,days_past_due"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([*header.split(","), "account_class", "status", "campaign"])
        for agent, mobiles in WORKLISTS.items():
            for rank, mobile in enumerate(mobiles):
                resident = DEBTORS[mobile][0]
                account = f"62258009{agent}{rank}"
                row = ["ICBC-CC", account, "测试", resident, mobile, "5000.00", 200 - rank]
                writer.writerow([*row, "C", "active", "TWO-NODE"])
    return path


def write_scenarios(folder: Path) -> Path:
    numbers = {
        f"+86{mobile}": {"behaviour": "answer", "call": str(FIXTURES / "calls" / f"{call}.wav")}
        for mobile, (_, call, _) in DEBTORS.items()
    }
    path = folder / "scenarios.json"
    path.write_text(json.dumps({"numbers": numbers}), encoding="utf-8")
    return path


def prepare_database(folder: Path, env: dict[str, str], url: str) -> None:
    """Schema, the book, four agents (two per node), and each case given to its agent."""
    for args in (["init"], ["import", "cases", str(write_book(folder))]):
        done = run(args, folder, extra_env=env)
        assert done.returncode == 0, done.stderr
    for line, agent in enumerate(WORKLISTS, start=1):
        sip = f"PJSIP/a{line:02d}@simnet"  # the simulated phones answer landlines a01, a02, …
        added = run(["agent", "add", agent, "--sip", sip], folder, extra_env=env)
        assert added.returncode == 0, added.stderr
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "UPDATE collection_case c SET assigned_agent_id = a.id FROM agent a "
            "WHERE a.code = substr(c.account_no, 9, 3)"
        )


def start(args: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``callwarden ARGS`` in the background, with only ``env``'s settings (as ``run`` does)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CALLWARDEN_")}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "console.cli", *args],
            cwd=cwd,
            env={**inherited, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (a worker finishes its task and exits), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql).fetchall()


def wait_for(check: object, timeout: float, what: str, logs: list[Path]) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in logs)
    pytest.fail(f"timed out waiting for {what}\n{tails}")


def test_two_nodes_share_one_database(tmp_path: Path, postgres_url: str, redis_url: str) -> None:
    model = assemble_base_model(tmp_path / "model" / "whisper-base")  # joined once, for both
    # the nodes share the sealed archive, so they share its master key (README: a key made in
    # one node's var/ would not open the other node's recordings)
    write_key_file(tmp_path / "master.key")
    env = {
        "CALLWARDEN_DATABASE_URL": postgres_url,
        "CALLWARDEN_QUEUE_URL": redis_url,
        "CALLWARDEN_TRANSCRIBER_MODEL": str(model),
        "CALLWARDEN_ARCHIVE_KEY_FILE": str(tmp_path / "master.key"),
    }
    prepare_database(tmp_path, env, postgres_url)
    scenarios = write_scenarios(tmp_path)
    archive = tmp_path / "recordings"  # the shared folder
    archive.mkdir()
    logs: list[Path] = []
    with contextlib.ExitStack() as cleanup:  # whatever fails, everything started is stopped
        dialers = []
        for node, agents in NODES.items():
            home = tmp_path / f"node-{node}"
            (home / "var").mkdir(parents=True)
            (home / "var" / "recordings").symlink_to(archive)
            cleanup.callback(run, ["sandbox", "down"], home)
            up = run(["sandbox", "up", "--agi-port", "0", "--phones", str(scenarios)], home)
            assert up.returncode == 0, up.stderr
            logs += [home / "worker.log", home / "dial.log"]
            worker = start(["worker", "-n", "1"], home, env, logs[-2])
            cleanup.callback(stop, worker)
            dialers.append((home, agents))
        started = []
        for home, agents in dialers:  # both at once: they reach for the same numbers
            args = ["dial", "--agents", agents, "--profile", str(PROFILE), "--ring-timeout", "20"]
            started.append(start(args, home, env, home / "dial.log"))
            cleanup.callback(stop, started[-1])
        wait_for(lambda: all(p.poll() is not None for p in started), 240, "both dialers", logs)
        assert [p.returncode for p in started] == [0, 0], [p.read_text() for p in logs]
        waiting = "SELECT count(*) FROM recording WHERE status = 'stored'"
        wait_for(lambda: query(postgres_url, waiting) == [(0,)], 240, "the workers", logs)
    check_attempts(postgres_url)
    check_recordings(postgres_url)


def check_attempts(url: str) -> None:
    """No number in two calls at once; each person's daily caps held; both nodes dialled."""
    rows = query(
        url,
        "SELECT a.e164, a.person_id, a.status, a.reserved_at, a.ended_at, g.code, a.rule_id "
        "FROM call_attempt a JOIN agent g ON g.id = a.agent_id ORDER BY a.reserved_at",
    )
    dialled = [r for r in rows if r[2] != "blocked"]
    assert dialled and all(r[4] is not None for r in dialled)  # none left in flight
    calls: dict[object, list[tuple[datetime, datetime, object]]] = defaultdict(list)
    for e164, _, _, reserved, ended, agent, _ in dialled:
        assert isinstance(reserved, datetime) and isinstance(ended, datetime)
        calls[e164].append((reserved, ended, agent))
    for e164, spans in calls.items():  # each in the order reserved
        for earlier, (began, _, agent) in enumerate(spans[1:]):
            busy_until, by = max((end, who) for _, end, who in spans[: earlier + 1])
            assert began >= busy_until, f"{e164} dialled by {agent} while {by}'s call was on"
    per_day: dict[tuple[object, object], list[str]] = defaultdict(list)
    for _, person, status, reserved, _, _, _ in dialled:
        assert isinstance(reserved, datetime) and isinstance(status, str)
        per_day[person, reserved.replace(tzinfo=UTC).astimezone(ZONE).date()].append(status)
    for key, statuses in per_day.items():
        assert statuses.count("answered") <= CONNECTED_CAP, (key, statuses)
        assert len(statuses) - statuses.count("answered") <= UNANSWERED_CAP, (key, statuses)
    answered_by = {str(r[5])[0] for r in dialled if r[2] == "answered"}
    assert answered_by == {"A", "B"}  # both nodes placed calls
    refused = {r[6] for r in rows if r[2] == "blocked"}
    assert "law.one_call_at_a_time" in refused, "the nodes never reached for one number"


def check_recordings(url: str) -> None:
    """Every answered call: one recording, transcribed in one try, no utterance twice, and the
    violation its scripted call carries flagged."""
    answered = query(
        url,
        "SELECT a.id, a.e164, count(r.id), min(r.status), max(r.tries), max(r.error) "
        "FROM call_attempt a "
        "LEFT JOIN recording r ON r.call_attempt_id = a.id "
        "WHERE a.status = 'answered' GROUP BY a.id, a.e164",
    )
    assert len(answered) >= len(DEBTORS)
    for attempt, e164, recordings, status, tries, error in answered:
        assert (recordings, status, tries) == (1, "transcribed", 1), (attempt, e164, error)
    duplicated = query(
        url,
        "SELECT recording_id, speaker, text, count(*) FROM utterance "
        "GROUP BY recording_id, speaker, text HAVING count(*) > 1",
    )
    assert duplicated == []
    flagged = query(
        url,
        "SELECT a.e164, r.id, string_agg(f.category, ',') FROM call_attempt a "
        "JOIN recording r ON r.call_attempt_id = a.id LEFT JOIN flag f ON f.recording_id = r.id "
        "WHERE a.status = 'answered' GROUP BY a.e164, r.id",
    )
    spoken = {
        r[0]: r[1] for r in query(url, "SELECT recording_id, count(*) FROM utterance GROUP BY 1")
    }
    for e164, recording, categories in flagged:
        expected = DEBTORS[str(e164).removeprefix("+86")][2]
        assert expected in str(categories or "").split(","), (e164, recording, categories)
        assert int(str(spoken.get(recording, 0))) >= 2, recording
