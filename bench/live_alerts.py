"""Live alert latency (issue 18): from the end of a violating utterance to the alert on a team
lead's open wallboard, with 1, 5 and 10 calls up at once.

Each call is a labelled test call (cw07: the agent claims to be the police; cw11: a threat)
growing in MixMonitor's spool as Asterisk writes it (32 KiB, 2.05 s, at a time, in real
time). ``callwarden live`` follows the spool with the real model, and ``callwarden serve``
pushes the wallboard: both are processes of their own, as in production. The lead's stream
is read as the browser reads it (server-sent events); an alert's latency is its arrival less
the instant the labelled utterance ended. The lag that grows with the number of calls is the
live path's capacity on this machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from bench.child import run_child
from config import Settings
from config.settings import DatabaseSettings, PathSettings
from console.app import App, build_app
from console.teams import add_team, assign_agent, set_supervisor
from console.users import add_user
from recorder.audio import read_recording
from recorder.testing import grow
from store.case_import import import_cases
from store.enums import AttemptStatus, Direction, Role
from store.models import Agent, CallAttempt, Case, PhoneNumber

ROOT = Path(__file__).resolve().parent.parent
CALLS = ROOT / "tests" / "fixtures" / "calls"
SAMPLE = ROOT / "config" / "samples" / "cases.csv"
PASSWORD = "bench-password-1"
SCRIPT = ("cw07", "cw11")
"""The calls played, in turn: each has one violation of the agent's, said once."""
CHUNK_S = 32768 / 2 / 8000
"""Measured: MixMonitor's direction files grow 32 KiB at a time (2.05 s at 8 kHz)."""
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Played:
    attempt_id: int
    call: str
    started: float
    """Epoch seconds when the call's first audio was written."""
    said_end_s: float
    """Where in the call the violating utterance ends (as labelled)."""


def run(counts: tuple[int, ...] = (1, 5, 10), beside: tuple[int, int] = (3, 8)) -> dict[str, Any]:
    """Latency rounds with ``counts`` calls at once, then the post-call pipeline's throughput
    on ``beside[1]`` recordings, alone and while the follower follows ``beside[0]`` calls."""
    work = Path(tempfile.mkdtemp(prefix="cw-live-alerts-"))
    # the bench's own database and folders; `[live]` settings pass through (encoder_s …)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CALLWARDEN_") or k.startswith("CALLWARDEN_LIVE_")
    }
    env["CALLWARDEN_DATABASE_URL"] = f"sqlite:///{work / 'callwarden.db'}"
    env["CALLWARDEN_PATHS_VAR_DIR"] = str(work / "var")
    _cli(["init"], work, env)
    app = build_app(
        Settings(
            database=DatabaseSettings(url=env["CALLWARDEN_DATABASE_URL"]),
            paths=PathSettings(var_dir=work / "var"),
        )
    )
    results: dict[str, Any] = {"rounds": []}
    try:
        _seed(app, max(counts))
        spool = work / "spool"
        spool.mkdir()
        port = _free_port()
        with (
            _process(["serve", "--port", str(port)], work, env),
            _process(["live", "--spool", str(spool)], work, env),
        ):
            base = f"http://127.0.0.1:{port}"
            _wait_for(base)
            time.sleep(20)  # the follower loads its model; its first call is not its start-up
            for n in counts:
                results["rounds"].append(_round(app, base, spool, n))
            results["pipeline"] = _pipeline_beside_live(app, spool, *beside)
    finally:
        app.engine.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return results


def _round(app: App, base: str, spool: Path, calls: int) -> dict[str, Any]:
    attempts = _calls_up(app, calls)
    arrived: dict[int, float] = {}
    stop = threading.Event()
    reader = threading.Thread(target=_read_alerts, args=(base, arrived, stop), daemon=True)
    reader.start()
    time.sleep(2.0)  # the stream's snapshot first
    played: list[Played] = []
    writers = []
    for n, attempt in enumerate(attempts):
        call = SCRIPT[n % len(SCRIPT)]
        label = json.loads((CALLS / f"{call}.json").read_text(encoding="utf-8"))
        end_s = float(label["violations"][0]["end"])
        started: list[float] = []
        writer = threading.Thread(target=_grow, args=(spool, attempt, call, started))
        writer.start()
        writers.append((writer, attempt, call, end_s, started))
    for writer, attempt, call, end_s, started in writers:
        writer.join()
        played.append(Played(attempt, call, started[0], end_s))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(arrived) < calls:
        time.sleep(0.2)
    stop.set()
    _end_calls(app, attempts)
    latencies = sorted(
        arrived[p.attempt_id] - p.started - p.said_end_s for p in played if p.attempt_id in arrived
    )
    return {
        "calls": calls,
        "alerts": len(latencies),
        "p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "p95_s": round(_p95(latencies), 2) if latencies else None,
        "max_s": round(latencies[-1], 2) if latencies else None,
        "load": round(os.getloadavg()[0], 1),
    }


def _pipeline_beside_live(
    app: App, spool: Path, live_calls: int, recordings: int
) -> dict[str, Any]:
    """What the live path costs the batch pipeline: the same recordings transcribed by a
    worker (``bench.pipeline_child``) alone, then while ``live_calls`` calls are followed."""
    var = str(Path("var").absolute())
    alone = run_child("bench.pipeline_child", "ours", str(recordings), var)
    stop = threading.Event()

    def keep_calling() -> None:
        while not stop.is_set():
            attempts = _calls_up(app, live_calls)
            writers = [
                threading.Thread(target=_grow, args=(spool, a, SCRIPT[n % len(SCRIPT)], []))
                for n, a in enumerate(attempts)
            ]
            for writer in writers:
                writer.start()
            for writer in writers:
                writer.join()
            _end_calls(app, attempts)

    caller = threading.Thread(target=keep_calling, daemon=True)
    caller.start()
    time.sleep(5)  # the follower has calls in hand before the worker starts
    try:
        beside = run_child("bench.pipeline_child", "ours", str(recordings), var)
    finally:
        stop.set()
        caller.join()
    return {
        "live_calls": live_calls,
        "recordings": recordings,
        "alone_x": round(alone["audio_s"] / alone["wall_s"], 2),
        "beside_x": round(beside["audio_s"] / beside["wall_s"], 2),
        "load": round(os.getloadavg()[0], 1),
    }


def _p95(values: list[float]) -> float:
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def _read_alerts(base: str, arrived: dict[int, float], stop: threading.Event) -> None:
    """The lead's wallboard stream: the first alert of each call, when it arrived."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/login")
        token = CSRF.search(form.text)
        assert token is not None
        client.post(
            "/login", data={"username": "sup1", "password": PASSWORD, "csrf": token.group(1)}
        )
        with client.stream("GET", "/team/live/events", timeout=None) as reply:
            name = ""
            for line in reply.iter_lines():
                if stop.is_set():
                    return
                if line.startswith("event:"):
                    name = line.partition(":")[2].strip()
                elif line.startswith("data:") and name == "alert":
                    data = json.loads(line.partition(":")[2])
                    arrived.setdefault(int(data["attempt_id"]), time.time())


def _grow(spool: Path, attempt: int, call: str, started: list[float]) -> None:
    audio = read_recording(CALLS / f"{call}.wav")
    agent, callee = audio.channels
    rx, tx = spool / f"attempt-{attempt}-rx.wav", spool / f"attempt-{attempt}-tx.wav"
    started.append(grow(rx, tx, audio.rate, callee, agent, 1.0, CHUNK_S))


def _seed(app: App, agents: int) -> None:
    import_cases(SAMPLE, app.sessions, "bench")
    with app.sessions.begin() as session:
        add_team(session, "T1", "催收一组", "bench")
        add_user(session, "sup1", Role.SUPERVISOR, PASSWORD, "bench")
        set_supervisor(session, "sup1", "T1", "bench")
        for n in range(1, agents + 1):
            session.add(Agent(code=f"A{n:02d}", name=f"坐席{n}", sip_endpoint=f"PJSIP/A{n:02d}"))
            session.flush()
            assign_agent(session, f"A{n:02d}", "T1", "bench")


def _calls_up(app: App, calls: int) -> list[int]:
    """One answered call per agent, each to a different debtor, up now."""
    now = datetime.now(UTC)
    with app.sessions.begin() as session:
        agents = session.scalars(select(Agent.id).order_by(Agent.id).limit(calls)).all()
        debtors = session.execute(
            select(Case.id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164)
            .join(PhoneNumber, PhoneNumber.person_id == Case.debtor_id)
            .order_by(Case.id, PhoneNumber.id)
        ).all()
        firsts = list(
            {
                person: (case, number, person, e164)
                for case, number, person, e164 in reversed(debtors)
            }.values()
        )
        ids = []
        for agent, (case, number, person, e164) in zip(agents, firsts, strict=False):
            row = CallAttempt(
                case_id=case, person_id=person, phone_number_id=number, e164=e164,
                agent_id=agent, direction=Direction.OUTBOUND, status=AttemptStatus.ANSWERED,
                reserved_at=now, originated_at=now, answered_at=now, ruleset_version="bench",
            )  # fmt: skip
            session.add(row)
            session.flush()
            ids.append(row.id)
    return ids


def _end_calls(app: App, attempts: list[int]) -> None:
    with app.sessions.begin() as session:
        for attempt in attempts:
            session.get_one(CallAttempt, attempt).ended_at = datetime.now(UTC)


def _cli(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "console.cli", *argv], cwd=cwd, env=env, check=True)


@contextmanager
def _process(argv: list[str], cwd: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    log = (cwd / f"{argv[0]}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", *argv], cwd=cwd, env=env, stdout=log, stderr=log
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the console at {base} did not answer")


def report(results: dict[str, Any]) -> str:
    lines = ["live alerts: utterance end → alert on the lead's wallboard (SSE)"]
    for r in results["rounds"]:
        lines.append(
            f"  {r['calls']:>2} calls at once: {r['alerts']}/{r['calls']} alerts, "
            f"p50 {r['p50_s']} s, p95 {r['p95_s']} s, max {r['max_s']} s (load {r['load']})"
        )
    p = results.get("pipeline")
    if p:
        lines.append(
            f"  post-call pipeline on {p['recordings']} recordings: {p['alone_x']}× real time "
            f"alone, {p['beside_x']}× while {p['live_calls']} calls are followed (load {p['load']})"
        )
    return "\n".join(lines)
