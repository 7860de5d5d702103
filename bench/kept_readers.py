"""Child of the kept-schedule bench: agents loading their worklist pages at once, and an
attempt's outcome travelling to the agent's next worklist.

``kept``: ``agents`` threads (one process, as the console serves them) each load their
worklist as the agent page does (:func:`console.agent_queue.case_queue`: the first
``WORKLIST_CASES`` cases, their files and every number), all starting together, ``rounds``
times; then, one at a time, an agent's first number is reserved and its
outcome recorded, and the time until the agent's next worklist shows each is measured
while the owner runs. ``rebuild``: the same page as it was before the schedule was kept
(every agent's schedule built from the whole book on each load), ``agents`` at once.
Prints one JSON object.
"""

from __future__ import annotations

import gc
import json
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bench.kept_clock import BenchClock
from compliance.policy import load_profile
from console.agent_queue import case_queue
from console.web.agent import WORKLIST_CASES
from console.worklist_cache import WorklistCache, worklist_page
from console.worklists import agent_worklist
from dialer.gate import PolicyJudge
from dialer.worklist_source import active_agents, build_worklists
from store import kept_schedule as kept
from store.attempts import mark_ended
from store.db import SessionFactory, make_engine, make_read_session_factory, make_session_factory
from store.enums import AttemptStatus
from store.models import Agent
from store.reservation import reserve_attempt
from store.said import Said
from store.types import utcnow

PROFILE = load_profile("cn-default")
VISIBLE_WITHIN_S = 30.0
"""How long a trial waits for the outcome to show before calling it lost."""


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[max(0, round(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
        "loads": len(ordered),
    }


def _at_once(agents: list[str], rounds: int, load: Callable[[str], bool]) -> dict[str, Any]:
    """Each agent's thread loads ``rounds`` times, every round starting together."""
    barrier = threading.Barrier(len(agents))
    seconds: list[float] = []
    computed: list[str] = []
    lock = threading.Lock()

    def agent(code: str) -> None:
        for _ in range(rounds):
            barrier.wait()
            started = time.perf_counter()
            served_kept = load(code)
            took = time.perf_counter() - started
            with lock:
                seconds.append(took)
                if not served_kept:
                    computed.append(code)

    threads = [threading.Thread(target=agent, args=(code,)) for code in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**_percentiles(seconds), "computed": len(computed)}


def _kept_page(reads: SessionFactory, clock: BenchClock) -> Callable[[str], bool]:
    with reads() as session:
        ids = {code: agent_id for code, agent_id in session.execute(select(Agent.code, Agent.id))}

    def load(code: str) -> bool:
        with reads() as session:
            found = case_queue(
                session, PROFILE, clock.now(), (ids[code], code), show="", limit=WORKLIST_CASES
            )
        return found.computed is None

    return load


def _cached_page(reads: SessionFactory, clock: BenchClock) -> Callable[[str], bool]:
    """As the console's agent page reads it: kept in its memory while nothing it shows
    changed (:mod:`console.worklist_cache`)."""
    with reads() as session:
        ids = {code: agent_id for code, agent_id in session.execute(select(Agent.code, Agent.id))}
    pages = WorklistCache()

    def load(code: str) -> bool:
        with reads() as session:
            found = worklist_page(
                pages,
                session,
                PROFILE,
                clock.now(),
                (ids[code], code),
                show="",
                limit=WORKLIST_CASES,
            )
        return found.computed is None

    return load


def _rebuilt_page(reads: SessionFactory, clock: BenchClock) -> Callable[[str], bool]:
    def load(code: str) -> bool:
        with reads() as session:
            schedule = build_worklists(session, PROFILE, clock.now(), active_agents(session))
            schedule.for_agent(code)[:WORKLIST_CASES]
        return True

    return load


def _wait(check: Callable[[], bool]) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < VISIBLE_WITHIN_S:
        if check():
            return time.perf_counter() - started
        time.sleep(0.01)
    return None


def _visibility(
    sessions: SessionFactory, reads: SessionFactory, clock: BenchClock, agents: list[str]
) -> dict[str, Any]:
    """Per trial: an agent's first number (a first call) reserved, then answered; after
    each, the time until the agent's next worklist, read from the kept rows, shows that
    number's case in its new tier (first call → not reached → routine)."""
    trials = [_trial(sessions, reads, clock, code) for code in agents]
    return {
        "reserved": _trials([reserved for reserved, _ in trials]),
        "ended": _trials([ended for _, ended in trials]),
    }


Seen = tuple[str, str] | None


def _trial(
    sessions: SessionFactory, reads: SessionFactory, clock: BenchClock, code: str
) -> tuple[float | None, float | None]:
    judge = PolicyJudge(PROFILE)
    with reads() as session:
        first = agent_worklist(session, PROFILE, clock.now(), code, 1).items[0]
    wanted = (first.phone_number_id, first.case_id)

    def seen() -> tuple[Said | None, Seen]:
        """Why the kept rows may not be served (None: they may), and the number's row in
        the agent's worklist (as the dial path reads it, whatever its rank)."""
        with reads() as session:
            agents = active_agents(session)
            why = kept.problem(session, PROFILE.ruleset, agents, clock.now(), wall_now=utcnow())
            item = kept.offered(session, code, *wanted)
        return why, (item.rule, item.reason) if item else None

    def changed(before: Seen) -> Callable[[], bool]:
        def check() -> bool:
            why, now_seen = seen()
            return why is None and now_seen != before

        return check

    before = seen()[1]
    got = reserve_attempt(sessions, *wanted, clock.now(), judge, lookback=judge.lookback)
    if not got.verdict.allowed:
        raise SystemExit(f"{code}'s first number was refused: {got.verdict}")
    reserved = _wait(changed(before))
    between = seen()[1]
    mark_ended(sessions, got.attempt_id, AttemptStatus.ANSWERED, "16", clock.now())
    return reserved, _wait(changed(between))


def _trials(seconds: list[float | None]) -> dict[str, Any]:
    seen = [s for s in seconds if s is not None]
    return {**(_percentiles(seen) if seen else {}), "lost": len(seconds) - len(seen)}


def main() -> None:
    url, clock, mode = sys.argv[1], BenchClock(float(sys.argv[2])), sys.argv[3]
    count, rounds = int(sys.argv[4]), int(sys.argv[5])
    # As the console's server does (console.web.server.serve): what start-up loaded is
    # frozen out of the collector, or every full collection walks it during the loads.
    gc.collect()
    gc.freeze()
    engine = make_engine(url)
    sessions, reads = make_session_factory(engine), make_read_session_factory(engine)
    with reads() as session:
        agents = active_agents(session)[:count]
    result: dict[str, Any] = {"agents": len(agents), "rounds": rounds}
    if mode == "kept":
        result["pages"] = _at_once(agents, rounds, _kept_page(reads, clock))
        kept_in_memory = _cached_page(reads, clock)
        # every page read once (nothing kept yet), then reloaded with nothing changed
        result["pages_kept_in_memory_first"] = _at_once(agents, 1, kept_in_memory)
        result["pages_kept_in_memory"] = _at_once(agents, rounds, kept_in_memory)
        result["visibility"] = _visibility(sessions, reads, clock, agents[:10])
    else:
        result["pages"] = _at_once(agents, rounds, _rebuilt_page(reads, clock))
    result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(result))


if __name__ == "__main__":
    main()
