"""The schedule's owner: applies writers' marks and the clock to the kept schedule.

One pass (:func:`keep_once`) reads the pending marks, then, if anything changed (a mark,
the profile, the agents) or the clock reached the schedule's ``valid_until``, builds the
schedule afresh from the book and writes it with the marks it applied. The build reads
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
from dialer.scheduler import LostContact, Schedule, schedule_book
from dialer.worklist import WorkItem
from dialer.worklist_source import active_agents, load_book
from store import kept_schedule as kept
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
    """Bring the kept schedule up to ``now``, if it needs it."""
    with reads() as session:
        state = kept.state(session)
        generation = state.generation if state else None
        marks = kept.pending_marks(session)  # before the book: what they mark is in it
        agents = active_agents(session)
        why = _why_rebuild(state, profile, agents, now, len(marks))
        if why is None:
            return Pass(None)
        book = load_book(session, now, profile.lookback(), with_zones=profile.clock == "callee")
    schedule = schedule_book(book, profile, now, agents)
    until = valid_until(book, schedule, profile, now)
    written = kept.Written(profile.ruleset, agents, now, until, wall_clock())
    values = map(kept.entry_values, schedule.dialable.rows())
    with sessions.begin() as session:
        rows = kept.write(session, generation, written, values, marks)
    return Pass(why, rows, len(marks), until)


def _why_rebuild(
    state: ScheduleState | None, profile: Profile, agents: list[str], now: datetime, marks: int
) -> str | None:
    if state is None:
        return "first build"
    if state.ruleset != profile.ruleset:
        return "profile changed"
    if state.agents != "\n".join(agents):
        return "agents changed"
    if not state.built_for <= now < state.valid_until:
        return "clock"
    return f"{marks} marks" if marks else None


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
    lost_after = LostContact(profile)
    candidates.extend(
        due
        for last in book.cases.last_connected_at
        if last is not None and (due := lost_after[last]) > now
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
