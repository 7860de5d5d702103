"""Child of the worklist bench: import the book, add attempts, time the worklists' build
(load + decide + order, as ``schedule preview`` and the console do it)."""

from __future__ import annotations

import gc
import json
import random
import resource
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from compliance.policy import load_profile
from dialer.scheduler import build_schedule
from dialer.worklist_source import build_worklists, load_book
from store.case_import import import_cases
from store.db import make_engine, make_session_factory
from store.enums import AttemptStatus, Direction
from store.migrate import upgrade
from store.models import CallAttempt, Case, PhoneNumber

AT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)  # Tuesday 10:30 in Shanghai


def _add_attempts(sessions: object, rng: random.Random) -> None:
    with sessions.begin() as session:  # type: ignore[attr-defined]
        rows = session.execute(
            select(Case.id, PhoneNumber.person_id, PhoneNumber.e164, PhoneNumber.id).join(
                PhoneNumber, PhoneNumber.person_id == Case.debtor_id
            )
        ).all()
        attempts = [
            {
                "case_id": case,
                "person_id": person,
                "e164": e164,
                "phone_number_id": number,
                "direction": Direction.OUTBOUND,
                "ruleset_version": "bench",
                "decision_reason": "",
                "counters_seen": {},
                "reserved_at": AT - timedelta(minutes=rng.randint(10, 1500)),
                "status": rng.choice([AttemptStatus.ANSWERED, AttemptStatus.NO_ANSWER]),
            }
            for case, person, e164, number in rows
            if rng.random() < 0.1
            for _ in range(rng.randint(1, 3))
        ]
        session.execute(insert(CallAttempt), attempts)


def measure(sessions: sessionmaker[Session], runs: int = 3) -> dict[str, Any]:
    """Ours ``runs`` times (this machine's timings vary from run to run), then the
    baseline once in the same process: every number made a :class:`NumberEntry` and
    handed to :func:`build_schedule`."""
    profile = load_profile("cn-default")
    agents = ["A01", "A02", "A03", "A04"]
    seconds = []
    for _ in range(runs):
        gc.collect()
        tracked = len(gc.get_objects())
        started = time.perf_counter()
        with sessions() as session:
            schedule = build_worklists(session, profile, AT, agents)
        seconds.append(time.perf_counter() - started)
        gc.collect()
        tracked = len(gc.get_objects()) - tracked
        numbers, dialable = len(schedule.dialable) + len(schedule.blocked), len(schedule.dialable)
        del schedule
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    base_start = time.perf_counter()
    with sessions() as session:
        book = load_book(session, AT, profile.lookback(), with_zones=False)
        entries = [book.entry(position) for position in range(len(book.numbers))]
        del book
    baseline = build_schedule(entries, profile, AT, agents)
    base_done = time.perf_counter()
    if len(baseline.dialable) != dialable:
        raise SystemExit("the baseline and ours disagree on what is dialable")
    return {
        "numbers": numbers,
        "dialable": dialable,
        "seconds": statistics.median(seconds),
        "runs": seconds,
        "peak_rss_kib": peak,
        "tracked_objects": tracked,
        "baseline_seconds": base_done - base_start,
    }


def main() -> None:
    url, csv = sys.argv[1], Path(sys.argv[2])
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    import_cases(csv, sessions, "bench")
    _add_attempts(sessions, random.Random(3))
    print(json.dumps(measure(sessions)))


if __name__ == "__main__":
    main()
