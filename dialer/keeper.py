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
the first instant a blocked number may be allowed again, or a case's lost-contact tier
begins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import chain
from zoneinfo import ZoneInfo

from compliance.policy import Profile
from compliance.policy.profile import WindowRule
from dialer.book import Book
from dialer.debtor_reach import needs_debtor_reach
from dialer.scheduler import Schedule, schedule_book
from dialer.worklist import WorkItem
from dialer.worklist_source import active_agents, load_book
from store import kept_schedule as kept
from store.book_scope import BookScope
from store.db import SessionFactory
from store.models import ScheduleState
from store.types import utcnow


@dataclass(frozen=True, slots=True)
class Pass:
    """What one pass did: ``why`` it rebuilt (None: nothing to do) and how many rows."""

    why: str | None
    rows: int = 0
    marks: int = 0
    valid_until: datetime | None = None


def keep_once(
    sessions: SessionFactory,
    reads: SessionFactory,
    profile: Profile,
    now: datetime,
    wall_clock: Callable[[], datetime] = utcnow,
) -> Pass:
    """Bring the kept schedule up to ``now``, if it needs it: the whole book, or, when only
    marks naming cases, people or numbers are waiting, just the cases they touch."""
    with reads() as session:
        state = kept.state(session)
        generation = state.generation if state else None
        marks = kept.pending_marks(session)  # before the book: what they mark is in it
        agents = active_agents(session)
        why = _why_rebuild(state, profile, agents, now)
        cases = None
        if why is None:
            if not marks:
                return Pass(None)
            cases = kept.marked_cases(session, marks, INCREMENTAL_MAX_CASES)
            why = f"{len(marks)} marks" + ("" if cases is None else f", {len(cases)} cases")
        book = load_book(
            session,
            now,
            profile.lookback(),
            with_zones=profile.clock == "callee",
            with_debtor_reach=needs_debtor_reach(profile),
            scope=BookScope(cases),
        )
    schedule = schedule_book(book, profile, now, agents)
    until = valid_until(book, schedule, profile, now)
    if cases is not None and state is not None:
        # the cases left alone hold until the old instant; the recomputed ones until ``until``
        until = min(until, state.valid_until)
    written = kept.Written(profile.ruleset, agents, now, until, wall_clock())
    values = map(kept.entry_values, schedule.dialable.rows())
    with sessions.begin() as session:
        rows = kept.write(session, generation, written, values, marks, cases=cases)
    return Pass(why, rows, len(marks), until)


INCREMENTAL_MAX_CASES = 5000
"""More touched cases than this and the whole book is rebuilt: a partial load's lists of
ids grow with them, and a rebuild costs the same however many marks wait."""


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
    if not state.built_for <= now < state.valid_until:
        return "clock"
    return None


def valid_until(book: Book, schedule: Schedule, profile: Profile, now: datetime) -> datetime:
    """The first instant after ``now`` at which the clock alone may change the schedule."""
    walls = {time(0)}
    for rule in profile.rules:
        if isinstance(rule, WindowRule):
            walls.update((rule.start, rule.end))
    walls.update(chain.from_iterable(profile.scheduling.retry_slots))
    zones = {profile.timezone}
    if profile.clock == "callee":
        zones.update(chain.from_iterable(set(book.numbers.time_zones)))
    candidates = [_next_wall(now, ZoneInfo(zone), walls) for zone in sorted(zones)]
    candidates.extend(at for at in schedule.blocked.next_changes() if at > now)
    every = timedelta(days=profile.scheduling.lost_contact_every_days)
    cases = book.cases
    candidates.extend(
        last + every for last in cases.last_connected_at if last is not None and last + every > now
    )
    return min(candidates)


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
    )
