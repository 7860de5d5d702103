"""Worklist pages kept in the console's memory while nothing they show has changed.

Fifty agents opening their worklists at once each read the kept rows and some 500 rows of
case files (issue 17: p95 4.6 s on 20,000 cases, every load the same work). A page read
from the kept rows is kept here, per agent, filter, language and day, under the
:func:`~store.worklist_stamp.worklist_stamp` it was read at; it is served again while
the stamp holds and the kept rows may still be served at ``now``. A page the console had to
compute (kept rows not servable) is never kept. Thread-safe: the console's routes run in
a thread pool.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from compliance.policy import Profile
from console.agent_queue import CaseQueue, case_queue
from console.i18n import current_locale
from console.worklists import serving_problem
from store.worklist_stamp import Stamp, worklist_stamp

PAGES_KEPT = 512
"""Pages kept at most (the least recently served go first): a few filters per agent."""


class WorklistCache:
    """Pages by key, each with the stamp it was read at."""

    def __init__(self, size: int = PAGES_KEPT) -> None:
        self._size = size
        self._pages: OrderedDict[Hashable, tuple[Stamp, CaseQueue]] = OrderedDict()
        self._lock = threading.Lock()
        self.served = 0
        """Pages served from here (for the bench and the tests)."""

    def page(self, key: Hashable, stamp: Stamp, read: Callable[[], CaseQueue]) -> CaseQueue:
        """The page kept under ``key`` if it was read at ``stamp``, else ``read()`` (kept
        when it came from the kept rows)."""
        with self._lock:
            found = self._pages.get(key)
            if found is not None and found[0] == stamp:
                self._pages.move_to_end(key)
                self.served += 1
                return found[1]
        queue = read()  # outside the lock: other agents' pages are served meanwhile
        if queue.computed is None:
            with self._lock:
                self._pages[key] = (stamp, queue)
                self._pages.move_to_end(key)
                while len(self._pages) > self._size:
                    self._pages.popitem(last=False)
        return queue


def worklist_page(
    pages: WorklistCache,
    session: Session,
    profile: Profile,
    now: datetime,
    agent: tuple[int, str],
    *,
    show: str,
    limit: int,
) -> CaseQueue:
    """:func:`~console.agent_queue.case_queue`, served from ``pages`` while it may be."""

    def read() -> CaseQueue:
        return case_queue(session, profile, now, agent, show=show, limit=limit)

    if show == "holds":
        return read()  # no schedule deals them: read as they are
    stamp = worklist_stamp(session)  # before anything it stamps is read
    if serving_problem(session, profile, now) is not None:
        return read()
    day = now.astimezone(ZoneInfo(profile.timezone)).date()  # promises fall due, 今日到期 moves
    key = (agent[0], show, limit, profile.ruleset, day, current_locale())
    return pages.page(key, stamp, read)
