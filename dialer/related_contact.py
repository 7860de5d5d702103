"""Related contacts' cadence: when a case is due because its third parties wait (pure).

The seed's rule: related accounts (family, colleagues, emergency and other contacts) every
2–3 working days. The profile's ``min_interval`` keeps them from being called sooner than the
2nd working day after the last call; this makes the case *due* by the 3rd
(``scheduling.related_contact_every_working_days``): from local midnight of the N-th working
day after the day a related contact of the case was last attempted, or at once if none ever
was. Only while the third-party gate lets them be called (the debtor cannot be reached);
a profile without a gate lets them be called always.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import compress, count
from zoneinfo import ZoneInfo

import numpy as np

from compliance.policy import ContactType, Profile
from compliance.policy.calendar import working_days_later
from compliance.policy.facts import NO_REACH
from compliance.policy.rule_specs import ThirdPartyGateRule
from compliance.policy.third_party import debtor_unreachable
from dialer.book import Book
from dialer.due_words import Why

RELATED_RULE = "schedule.related_contact"
_ANYONE_ELSE = tuple(t for t in ContactType if t not in {ContactType.DEBTOR, ContactType.UNKNOWN})


@dataclass(frozen=True, slots=True)
class RelatedDue:
    """When a case is due for its related contacts, by when, and why."""

    at: datetime | None
    """Due from this instant; None: at once (none attempted yet, or no calendar for the year)."""
    due_by: datetime | None
    why: Why

    @property
    def reason(self) -> str:
        """Why, in both languages (中文 · English)."""
        return f"{self.why.zh} · {self.why.en}"


def related_due(book: Book, profile: Profile, now: datetime) -> dict[int, RelatedDue]:
    """By case slot: each dialled case with related contacts whose third-party gate is open,
    and when they are due (maybe after ``now``: the kept schedule wakes the case then)."""
    every = profile.scheduling.related_contact_every_working_days
    if every is None:
        return {}
    gates = [rule for rule in profile.rules if isinstance(rule, ThirdPartyGateRule)]
    cases = book.cases
    reach = cases.debtor or [NO_REACH] * len(cases)
    open_slots = [
        slot
        for slot in compress(count(), cases.attempted)
        if all(debtor_unreachable(gate, reach[slot]) for gate in gates)
    ]
    if not open_slots:
        return {}
    last = _last_related(book, open_slots, _related_types(gates))
    zone = ZoneInfo(profile.timezone)
    words = _Words(profile, zone, every)
    today_ends = _day_end(now.astimezone(zone).date(), zone)
    return {
        slot: words.due(at) if at is not None else RelatedDue(None, today_ends, words.never)
        for slot, at in last.items()
    }


def _related_types(gates: Sequence[ThirdPartyGateRule]) -> set[ContactType]:
    """The contact types the gate guards (everyone but the debtor if it names none)."""
    found = {t for gate in gates for t in (gate.contact_types or _ANYONE_ELSE)}
    return found or set(_ANYONE_ELSE)


def _last_related(
    book: Book, slots: list[int], related: set[ContactType]
) -> dict[int, datetime | None]:
    """For each of ``slots`` that has a related contact's number (not on the do-not-call
    list): the latest attempt at one of its related contacts for this case (None: none in
    the history looked back on)."""
    numbers, case_id = book.numbers, book.cases.case_id
    case_of = np.frombuffer(numbers.case, dtype=np.int64)
    mask = np.isin(case_of, np.array(slots, dtype=np.int64))
    mask &= np.fromiter(
        map(related.__contains__, numbers.contact_type), dtype=bool, count=len(numbers)
    )
    # a number on the do-not-call list is no contact to wait for
    mask &= ~np.fromiter(numbers.do_not_call, dtype=bool, count=len(numbers))
    last: dict[int, datetime | None] = {}
    for position in np.flatnonzero(mask).tolist():
        slot, person = numbers.case[position], numbers.person_id[position]
        case, known = case_id[slot], last.get(slot)
        for attempt in reversed(numbers.history[position].attempts):  # oldest first
            if attempt.case_id == case and attempt.person_id == person:
                if known is None or attempt.at > known:
                    known = attempt.at
                break
        last[slot] = known
    return last


def _day_end(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


class _Words:
    """Each last-attempt day's due instant and wording, computed once per day."""

    def __init__(self, profile: Profile, zone: ZoneInfo, every: int) -> None:
        self.calendar, self.zone, self.every = profile.calendar, zone, every
        self.never = Why(
            "债务人无法联系，关联人尚未联系",
            "the debtor cannot be reached and no related contact has been attempted yet",
        )
        self._by_day: dict[date, RelatedDue] = {}

    def due(self, last: datetime) -> RelatedDue:
        day = last.astimezone(self.zone).date()
        found = self._by_day.get(day)
        if found is None:
            found = self._by_day[day] = self._due(day)
        return found

    def _due(self, day: date) -> RelatedDue:
        n = self.every
        reached = working_days_later(day, n, self.calendar)
        if reached.day is None:
            year = reached.unknown.year if reached.unknown else day.year
            return RelatedDue(
                None,
                None,
                Why(
                    f"关联人上次联系 {day}，缺少 {year} 年工作日日历，现在联系",
                    f"related contacts last attempted {day}: working days unknown "
                    f"(no calendar for {year}), call now",
                ),
            )
        return RelatedDue(
            datetime.combine(reached.day, time(0), tzinfo=self.zone),
            _day_end(reached.day, self.zone),
            Why(
                f"关联人上次联系 {day}，每 {n} 个工作日至少联系一次，{reached.day} 到期",
                f"related contacts last attempted {day}: due every {n} working days, "
                f"by {reached.day}",
            ),
        )
