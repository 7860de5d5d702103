"""Child of the kept-schedule bench, one backend: import the book, add attempts and agents,
start the owner (:mod:`bench.kept_owner`), wait for its first build, then run the readers
(:mod:`bench.kept_readers`): the kept pages and the outcomes, then the rebuilt pages.
Prints one JSON object."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.child import run_child
from bench.worklists_child import _add_attempts
from store.case_import import import_cases
from store.db import make_engine, make_session_factory
from store.kept_schedule import state
from store.migrate import upgrade
from store.models import Agent, ScheduleEntry, ScheduleMark

FIRST_BUILD_WITHIN_S = 1800


def _first_build(sessions: Any, owner: subprocess.Popen[str]) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < FIRST_BUILD_WITHIN_S:
        if owner.poll() is not None:
            raise SystemExit(f"the owner stopped: {owner.stderr.read() if owner.stderr else ''}")
        with sessions() as session:
            built = state(session) is not None
            waiting = session.scalar(select(func.count()).select_from(ScheduleMark))
        if built and not waiting:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit("no first build")


def main() -> None:
    url, csv = sys.argv[1], sys.argv[2]
    agents, baseline, rounds = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    import_cases(Path(csv), sessions, "bench")
    _add_attempts(sessions, random.Random(3))
    with sessions.begin() as session:
        for n in range(1, agents + 1):
            session.add(Agent(code=f"B{n:03d}", name=f"B{n:03d}", sip_endpoint=f"PJSIP/b{n}"))
    epoch = str(time.time())
    owner = subprocess.Popen(
        [sys.executable, "-m", "bench.kept_owner", url, epoch],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_build = _first_build(sessions, owner)
        with sessions() as session:
            rows = session.scalar(select(func.count()).select_from(ScheduleEntry))
        kept = run_child("bench.kept_readers", url, epoch, "kept", str(agents), str(rounds))
        rebuilt = run_child("bench.kept_readers", url, epoch, "rebuild", str(baseline), "1")
    finally:
        owner.send_signal(signal.SIGTERM)
        out, err = owner.communicate(timeout=600)
    if owner.returncode != 0:
        raise SystemExit(f"the owner failed:\n{err[-3000:]}")
    print(
        json.dumps(
            {
                "entries": rows,
                "first_build_s": first_build,
                "kept": kept,
                "rebuilt": rebuilt,
                "owner": json.loads(out),
            }
        )
    )


if __name__ == "__main__":
    main()
