"""Child of the kept-schedule bench: the schedule's owner, as ``callwarden schedule keep``
runs it (a :class:`dialer.keeper.Keeper` polled every ``KEEP_POLL_S``), on the bench's
clock. Stopped by SIGTERM; then prints each pass and its peak RSS as one JSON object."""

from __future__ import annotations

import json
import resource
import signal
import sys
import time
from typing import Any

from bench.kept_clock import BenchClock
from compliance.policy import load_profile
from dialer.keeper import KEEP_POLL_S, Keeper
from store.db import make_engine, make_read_session_factory, make_session_factory


def main() -> None:
    url, clock = sys.argv[1], BenchClock(float(sys.argv[2]))
    engine = make_engine(url)
    owner = Keeper(make_session_factory(engine), make_read_session_factory(engine))
    profile = load_profile("cn-default")
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    passes: list[dict[str, Any]] = []
    while not stopping:
        started = time.perf_counter()
        done = owner.keep(profile, clock.now())
        if done.why is not None:
            seconds = time.perf_counter() - started
            passes.append({"why": done.why, "rows": done.rows, "seconds": seconds})
            print(
                json.dumps({"pass": passes[-1], "wall": time.time()}), file=sys.stderr, flush=True
            )
        time.sleep(KEEP_POLL_S)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"passes": passes, "peak_rss_kib": peak}))


if __name__ == "__main__":
    main()
