"""A retention run in its own process that kills itself (SIGKILL, no clean-up) at a chosen
point: ``mid-batch`` after the batch's transcript, recording and note are deleted in the
open transaction, or ``before-files`` after the batch committed, before its file is removed.

Usage: python -m tests.retention_child DB_URL WHEN ISO_INSTANT
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy.orm import Session

import store.retention
import store.retention_delete
from compliance.retention import Kind
from recorder.archive import remove_archived
from store.db import make_engine, make_read_session_factory, make_session_factory
from store.retention_delete import Outcome
from tests.retentiondata import PERIODS


def _die() -> NoReturn:
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("still alive")


def _dies_deleting(_session: Session, _ids: list[int]) -> dict[int, Outcome]:
    _die()


def main() -> None:
    url, when, at = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    if when == "mid-batch":
        store.retention_delete._DELETERS[Kind.ATTEMPT] = _dies_deleting
    else:
        real = store.retention.finish_files
        calls: list[int] = []

        def dies_second_time(*args: Any) -> tuple[int, int]:
            calls.append(1)
            if len(calls) > 1:
                _die()
            return real(*args)

        store.retention.finish_files = dies_second_time  # type: ignore[assignment]
    engine = make_engine(url)
    store.retention.run_retention(
        make_session_factory(engine),
        make_read_session_factory(engine),
        PERIODS,
        at,
        "child",
        remove_archived,
    )
    sys.exit("the run finished: it should have been killed")


if __name__ == "__main__":
    main()
