"""Workers over a real queue: huey on SQLite with a worker killed mid-file, and huey on Redis."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.test_cli import run
from transcriber.pipeline import Outcome
from transcriber.queue import TranscriptionQueue, make_huey

CALLS = FIXTURES / "calls"


def env_for(lease_s: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWARDEN_")}
    env["CALLWARDEN_QUEUE_LEASE_S"] = str(lease_s)
    return env


def start_worker(cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "console.cli", "worker", "-n", "1"],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: kill it with its children
    )


def rows(db: Path, query: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(query).fetchall()


def wait_for(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


@pytest.mark.model
@pytest.mark.slow
def test_a_worker_killed_mid_file_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    env = env_for(lease_s=3)
    assert (
        subprocess.run(
            [sys.executable, "-m", "console.cli", "init"], cwd=tmp_path, env=env, check=False
        ).returncode
        == 0
    )
    files = [str(CALLS / f"{name}.wav") for name in ("cw07", "cw34", "cw18")]
    queued = subprocess.run(
        [
            sys.executable,
            "-m",
            "console.cli",
            "transcribe",
            "--queue",
            "--contact-type",
            "debtor",
            *files,
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert queued.returncode == 0, queued.stderr
    db = tmp_path / "var" / "callwarden.db"

    worker = start_worker(tmp_path, env)
    claimed = "SELECT id FROM recording WHERE claimed_by IS NOT NULL AND status = 'stored'"
    wait_for(lambda: rows(db, claimed), 120, "a worker to claim a recording")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    (victim,) = rows(db, claimed)[0]
    assert rows(db, f"SELECT count(*) FROM utterance WHERE recording_id = {victim}") == [(0,)]

    time.sleep(3.5)  # the dead worker's lease runs out
    worker = start_worker(tmp_path, env)
    try:
        done = "SELECT count(*) FROM recording WHERE status = 'transcribed'"
        wait_for(lambda: rows(db, done) == [(3,)], 240, "all three recordings")
    finally:
        os.killpg(worker.pid, signal.SIGINT)
        worker.wait(timeout=30)
    assert rows(db, f"SELECT tries FROM recording WHERE id = {victim}") == [(2,)]
    duplicates = rows(
        db,
        "SELECT recording_id, speaker, start_s, count(*) FROM utterance "
        "GROUP BY recording_id, speaker, start_s HAVING count(*) > 1",
    )
    assert duplicates == []
    per_call = dict(rows(db, "SELECT recording_id, count(*) FROM utterance GROUP BY recording_id"))  # type: ignore[arg-type]
    assert len(per_call) == 3 and all(n >= 4 for n in per_call.values())
    assert rows(db, "SELECT category FROM flag WHERE recording_id = 2") == [("complaint_tendency",)]
    shown = run(["calls", "show", str(victim)], tmp_path)
    assert shown.returncode == 0 and "坐席" in shown.stdout and "对方" in shown.stdout


class RecordingIds:
    """A worker that records the batches it was given; what it did is no longer waiting."""

    def __init__(self, waiting: list[int]) -> None:
        self.waiting = waiting
        self.batches: list[list[int]] = []

    def process_batch(self, ids: list[int]) -> list[Outcome]:
        self.batches.append(list(ids))
        done = [i for i in ids if i in self.waiting]
        self.waiting[:] = [i for i in self.waiting if i not in done]
        return [Outcome(i, "transcribed" if i in done else "skipped") for i in ids]


def test_the_queue_works_on_redis_with_backpressure() -> None:
    url = os.environ.get("CALLWARDEN_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    # a private queue on a shared server
    huey = make_huey(url, Path("unused"), name=f"callwarden-test-{uuid.uuid4().hex[:8]}")
    worker = RecordingIds([4, 5, 6])
    queue = TranscriptionQueue(
        huey,
        lambda: worker,  # type: ignore[arg-type,return-value]
        lambda: list(worker.waiting),
        high_water=2,
    )
    try:
        assert queue.enqueue_pending() == 2  # only two fit under the high-water mark
        assert queue.enqueue_pending() == 0
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        # The first task takes the other waiting recordings along (one batched decode); the
        # second finds its recording done already.
        assert worker.batches == [[4, 5, 6], [5]]
        assert worker.waiting == []
    finally:
        huey.storage.flush_queue()
        huey.storage.flush_results()
        huey.storage.pool.disconnect()  # its sockets would otherwise wait for the GC
