"""The background writers of the console load benchmark, each its own process.

``python -m bench.console_writers import URL FILE...``: imports the files in turn
(all or nothing, each one long transaction) until SIGTERM.
``python -m bench.console_writers campaign URL``: does what the campaign does to the
database, one number after another: reserve (policy decision), originated, answered,
ended, until SIGTERM.
Each prints one JSON line of counts when stopped; a failure ends it with a traceback and
exit status 1, which the benchmark reports.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import FrameType

from sqlalchemy import select

from compliance.policy import load_profile
from dialer.gate import PolicyJudge
from store.attempts import mark_answered, mark_ended, mark_originated
from store.case_import import import_cases
from store.db import make_engine, make_read_session_factory, make_session_factory
from store.enums import AttemptStatus
from store.models import Case, PhoneNumber
from store.reservation import reserve_attempt
from store.types import utcnow

_stop = False


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    global _stop  # noqa: PLW0603 (the signal handler's one flag)
    _stop = True


def importer(url: str, files: list[str]) -> dict[str, int]:
    sessions = make_session_factory(make_engine(url))
    done = rows = 0
    while not _stop:
        report = import_cases(Path(files[done % len(files)]), sessions, "bench:importer")
        done += 1
        rows += report.rows
    return {"imports": done, "rows": rows}


def campaign(url: str) -> dict[str, int]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with make_read_session_factory(engine)() as session:
        targets = session.execute(
            select(PhoneNumber.id, Case.id)
            .join(Case, Case.debtor_id == PhoneNumber.person_id)
            .order_by(PhoneNumber.id)
        ).all()
    judge = PolicyJudge(load_profile("cn-default"))
    counts = {"reserved": 0, "blocked": 0}
    while not _stop:
        number_id, case_id = targets[sum(counts.values()) % len(targets)]
        now = utcnow()
        held = reserve_attempt(
            sessions, number_id, case_id, now, judge, lookback=timedelta(days=31)
        )
        if not held.verdict.allowed:
            counts["blocked"] += 1
        else:
            counts["reserved"] += 1
            mark_originated(sessions, held.attempt_id, now)
            mark_answered(sessions, held.attempt_id, now)
            mark_ended(sessions, held.attempt_id, AttemptStatus.ANSWERED, "normal", utcnow())
        time.sleep(0.02)  # a campaign's pace: a few calls a second, not a tight loop
    return counts


def main() -> None:
    signal.signal(signal.SIGTERM, _on_term)
    kind, url, *files = sys.argv[1:]
    counts = importer(url, files) if kind == "import" else campaign(url)
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
