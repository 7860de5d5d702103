"""The schedule's owner: applies writers' marks and the clock to the kept schedule.

One pass (:func:`keep_once`) reads the pending marks. If the profile or the agents changed,
the clock reached the schedule's ``valid_until`` or a mark names nothing (an import), it
builds the schedule afresh from the whole book; if only marks naming cases, people or
numbers wait (an attempt, a note, a hold, a do-not-call entry), it recomputes just the
cases they touch (:func:`store.kept_schedule.marked_cases`). Either way it writes the rows
with the marks it applied. The build reads
outside any write transaction (a million numbers take seconds, and reservations must not
wait for them); the write is refused if another owner wrote meanwhile.

:func:`valid_until` (pure) is when the clock alone may change a schedule: the next calling
window or retry slot boundary, the next midnight (in every zone the profile's clock reads),
the first instant a blocked number may be allowed again, a case's lost-contact tier
begins, or a debtor's consent begins or ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from heapq import heapify, heappop, heappush
from itertools import chain
from zoneinfo import ZoneInfo

from compliance.policy import Profile
from compliance.policy.rule_specs import WindowRule
from dialer.book import Book
from dialer.debtor_reach import needs_debtor_reach
from dialer.related_contact import related_due
from dialer.scheduler import LostContact, Schedule, schedule_book
from dialer.worklist import WorkItem
from dialer.worklist_source import active_agents, load_book
from store import kept_schedule as kept
from store.book_scope import BookScope
from store.db import SessionFactory
from store.models import ScheduleState
from store.types import utcnow


@dataclass(frozen=True, slots=True)
class Pass:
    """What one pass did: ``why`` it wrote (None: nothing to do) and how many rows."""

    why: str | None
    rows: int = 0
    marks: int = 0
    valid_until: datetime | None = None


KEEP_POLL_S = 0.2
"""How often a running owner looks for marks and instants: an outcome reaches the worklists
within this plus one pass over the cases it touches."""
INCREMENTAL_MAX_CASES = 5000
"""More touched cases than this and the whole book is rebuilt: a partial load's lists of
ids grow with them, and a rebuild costs the same however many marks wait."""


class Keeper:
    """The owner's memory between passes: when the clock alone next changes the schedule,
    as one instant for the whole book (``wall``: a calling window or retry slot boundary,
    midnight) and one per case (``wakes``: a blocked number allowed again, the lost-contact
    tier). A case's own instant passing recomputes that case only: a rebuild of a million
    numbers takes about a minute with its write, and such instants may come far more often
    (a contact's 72-hour interval ends at the minute it was called, three days on).

    A new keeper knows no wakes: until its first rebuild, any instant passing rebuilds."""

    def __init__(
        self,
        sessions: SessionFactory,
        reads: SessionFactory,
        wall_clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions, self.reads, self.wall_clock = sessions, reads, wall_clock
        self.wall: datetime | None = None
        self.wakes: dict[int, datetime] = {}
        self._heap: list[tuple[datetime, int]] = []

    def keep(self, profile: Profile, now: datetime) -> Pass:
        """Bring the kept schedule up to ``now``, if it needs it: the whole book, or only
        the cases that marks touch or whose own instant has come."""
        try:
            return self._keep(profile, now)
        except BaseException:
            # a pass that fails may have taken due cases off the list, or lost a race to
            # another owner: this one's instants may be wrong, so the next crossing rebuilds
            self.wall, self.wakes, self._heap = None, {}, []
            raise

    def _keep(self, profile: Profile, now: datetime) -> Pass:
        with self.reads() as session:
            state = kept.state(session)
            marks = kept.pending_marks(session)  # before the book: what they mark is in it
            agents = active_agents(session)
            why = _why_rebuild(state, profile, agents, now) or self._why_clock(state, now)
            cases = None
            if why is None:
                due = self._due(now)
                assert state is not None
                if not marks and not due and now < state.valid_until:
                    return Pass(None)
                cases = kept.marked_cases(session, marks, INCREMENTAL_MAX_CASES)
                if cases is not None:
                    cases |= due
                why = _incremental(len(marks), len(due), cases)
            book = load_book(
                session,
                now,
                profile.lookback(),
                with_zones=profile.clock == "callee",
                with_debtor_reach=needs_debtor_reach(profile),
                scope=BookScope(cases),
            )
        schedule = schedule_book(book, profile, now, agents)
        until = self._remember(book, schedule, profile, now, cases=cases, state=state)
        written = kept.Written(profile.ruleset, agents, now, until, self.wall_clock())
        values = map(kept.entry_values, schedule.dialable.rows())
        # the blocked numbers of the cases dealt: the agent's page says why each is not offered
        blocked = map(kept.blocked_values, schedule.blocked.rows_of(schedule.dialable.case_ids()))
        generation = state.generation if state else None
        with self.sessions.begin() as session:
            rows = kept.write(
                session, generation, written, values, marks, cases=cases, blocked=blocked
            )
        return Pass(why, rows, len(marks), until)

    def _why_clock(self, state: ScheduleState | None, now: datetime) -> str | None:
        if state is None:
            return "first build"
        if now < state.built_for:
            return "clock went back"
        if self.wall is None:
            return "clock" if now >= state.valid_until else None
        return "clock" if now >= self.wall else None

    def _due(self, now: datetime) -> set[int]:
        """The cases whose own instant has come (none while no wakes are known)."""
        due: set[int] = set()
        heap, wakes = self._heap, self.wakes
        while heap and heap[0][0] <= now:
            at, case_id = heappop(heap)
            if wakes.get(case_id) == at:  # else a later pass moved it: a stale entry
                del wakes[case_id]
                due.add(case_id)
        return due

    def _remember(
        self,
        book: Book,
        schedule: Schedule,
        profile: Profile,
        now: datetime,
        *,
        cases: set[int] | None,
        state: ScheduleState | None,
    ) -> datetime:
        """Note the instants of what was just built; returns the schedule's ``valid_until``."""
        wall = next_wall(book, profile, now)
        wakes = case_wakes(book, schedule, profile, now)
        if cases is None:
            self.wall, self.wakes = wall, wakes
            self._heap = [(at, case_id) for case_id, at in wakes.items()]
            heapify(self._heap)
        elif self.wall is None:  # no wakes known: the old instant still bounds the rest
            assert state is not None
            return min(wall, *wakes.values(), state.valid_until)
        else:
            self.wall = min(self.wall, wall)
            for case_id in cases:
                self.wakes.pop(case_id, None)
            for case_id, at in wakes.items():
                self.wakes[case_id] = at
                heappush(self._heap, (at, case_id))
        heap = self._heap
        while heap and self.wakes.get(heap[0][1]) != heap[0][0]:
            heappop(heap)  # a case since recomputed: not its instant any more
        return min(self.wall, heap[0][0]) if heap else self.wall


def _incremental(marks: int, due: int, cases: set[int] | None) -> str:
    said = [f"{marks} marks"] if marks else []
    if due:
        said.append(f"{due} cases' instants")
    return ", ".join(said or ["clock"]) + ("" if cases is None else f": {len(cases)} cases")


def keep_once(
    sessions: SessionFactory,
    reads: SessionFactory,
    profile: Profile,
    now: datetime,
    wall_clock: Callable[[], datetime] = utcnow,
) -> Pass:
    """One pass by an owner that remembers nothing (``schedule keep --once``)."""
    return Keeper(sessions, reads, wall_clock).keep(profile, now)


def _why_rebuild(
    state: ScheduleState | None, profile: Profile, agents: list[str], now: datetime
) -> str | None:
    """Why the whole book must be rebuilt whatever the marks name (None: it need not)."""
    if state is None:
        return "first build"
    if state.ruleset != profile.ruleset:
        return "profile changed"
    if state.agents != "\n".join(agents):
        return "agents changed"
    return None


def valid_until(book: Book, schedule: Schedule, profile: Profile, now: datetime) -> datetime:
    """The first instant after ``now`` at which the clock alone may change the schedule."""
    return min(next_wall(book, profile, now), *case_wakes(book, schedule, profile, now).values())


def next_wall(book: Book, profile: Profile, now: datetime) -> datetime:
    """The next calling window or retry slot boundary, or midnight, after ``now`` (in every
    zone the profile's clock reads): an instant that may change any case."""
    walls = {time(0)}
    for rule in profile.rules:
        if isinstance(rule, WindowRule):
            walls.update((rule.start, rule.end))
    walls.update(chain.from_iterable(profile.scheduling.retry_slots))
    zones = {profile.timezone}
    if profile.clock == "callee":
        zones.update(chain.from_iterable(set(book.numbers.time_zones)))
    return min(_next_wall(now, ZoneInfo(zone), walls) for zone in sorted(zones))


def case_wakes(
    book: Book, schedule: Schedule, profile: Profile, now: datetime
) -> dict[int, datetime]:
    """Each case's first instant after ``now`` at which the clock alone may change it: a
    blocked number of it allowed again, its related-contact or lost-contact tier beginning,
    or a consent of it beginning or ending."""
    cases, case_of = book.cases, book.numbers.case
    wakes: dict[int, datetime] = {}

    def wake(case_id: int, at: datetime) -> None:
        if at > now:
            known = wakes.get(case_id)
            if known is None or at < known:
                wakes[case_id] = at

    for position, at in schedule.blocked.changes():
        wake(cases.case_id[case_of[position]], at)
    lost_after = LostContact(profile)  # issue 19: after N working days (or calendar days)
    for case_id, last in zip(cases.case_id, cases.last_connected_at, strict=True):
        if last is not None:
            wake(case_id, lost_after[last])
    # issue 19: related contacts due by their N-th working day while the debtor is unreachable
    for slot, due in related_due(book, profile, now).items():
        if due.at is not None:
            wake(cases.case_id[slot], due.at)
    # issue 19: a consent in force relaxes a rule from its start until it ends
    for case_id, consents in zip(cases.case_id, cases.consents or (), strict=False):
        for consent in consents:
            wake(case_id, consent.valid_from)
            wake(case_id, consent.valid_until)
    return wakes


def _next_wall(now: datetime, zone: ZoneInfo, walls: set[time]) -> datetime:
    """The next instant after ``now`` at which the local time in ``zone`` is one of ``walls``."""
    today = now.astimezone(zone).date()
    return min(
        moment
        for day in (today, today + timedelta(days=1), today + timedelta(days=2))
        for wall in walls
        if (moment := datetime.combine(day, wall, tzinfo=zone)) > now
    )


def as_kept(item: WorkItem) -> kept.KeptItem:
    """A computed worklist item as the kept schedule serves it (for the fallback)."""
    entry = item.entry
    return kept.KeptItem(
        item.agent,
        entry.case.facts.case_id,
        entry.phone_number_id,
        entry.case.account_no,
        entry.kind,
        entry.number.e164,
        item.rule,
        item.reason,
        item.due_by,
        item.reason_zh,
        item.reason_en,
    )
