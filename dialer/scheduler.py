"""Worklists: which numbers each agent should dial next, and why (pure).

The policy says whether a number *may* be dialled; the scheduler says which of
the dialable numbers are most *due*:

1. a new case's first call, due within ``first_call_working_days`` working days of import;
2. a promised payment whose date has come (follow-up);
3. a case not reached for ``lost_contact_every_days`` days;
4. everything else, by days past due, then amount.

An unanswered number is retried in the next retry slot (morning / noon /
evening), not again in the same one: until then it is listed as deferred.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    Evaluator,
    NumberFacts,
    Outcome,
    PersonFacts,
)
from compliance.policy.calendar import is_working_day
from compliance.policy.profile import Profile

RETRY_RULE = "schedule.retry_slot"
TIERS = (
    "schedule.first_call",
    "schedule.promise_follow_up",
    "schedule.lost_contact",
    "schedule.routine",
)


@dataclass(frozen=True, slots=True)
class CaseEntry:
    """A case as the scheduler sees it."""

    facts: CaseFacts
    account_no: str
    imported_at: datetime
    days_past_due: int
    amount_overdue_cents: int
    agent: str | None
    promised_date: date | None = None
    attempted: bool = False
    """Ever dialled (all time, not just the policy's lookback)."""
    last_connected_at: datetime | None = None
    """The last answered outbound call on this case (all time)."""


@dataclass(frozen=True, slots=True)
class NumberEntry:
    """One number of one person linked to a case, with the history the rules need."""

    case: CaseEntry
    number: NumberFacts
    person: PersonFacts
    kind: str
    history: AttemptHistory
    phone_number_id: int = 0


@dataclass(frozen=True, slots=True)
class WorkItem:
    entry: NumberEntry
    agent: str
    rule: str
    """Which due-ness tier put it here (``schedule.first_call`` …)."""
    reason: str
    due_by: datetime | None


@dataclass(frozen=True, slots=True)
class BlockedItem:
    entry: NumberEntry
    rule: str
    reason: str
    next_allowed_at: datetime | None


@dataclass
class Schedule:
    at: datetime
    ruleset: str
    dialable: list[WorkItem] = field(default_factory=list)
    blocked: list[BlockedItem] = field(default_factory=list)

    def for_agent(self, agent: str) -> list[WorkItem]:
        return [item for item in self.dialable if item.agent == agent]


_KIND_ORDER = {"mobile": 0, "home": 1, "work": 2}


def build_schedule(
    entries: Iterable[NumberEntry], profile: Profile, now: datetime, agents: Sequence[str]
) -> Schedule:
    """Decide every number at ``now`` and order the dialable ones by due-ness."""
    evaluator = Evaluator(profile)
    zone = ZoneInfo(profile.timezone)
    local_now = now.astimezone(zone)
    slots = profile.scheduling.retry_slots
    deadlines = _Deadlines(profile, zone)
    schedule = Schedule(at=now, ruleset=profile.ruleset)
    keyed: list[tuple[tuple[object, ...], WorkItem]] = []
    far = datetime.max.replace(tzinfo=now.tzinfo)
    for entry in entries:
        decision = evaluator.decide(
            entry.number, entry.person, entry.case.facts, entry.history, now
        )
        if not decision.allowed:
            schedule.blocked.append(
                BlockedItem(
                    entry, decision.rule_id or "", decision.reason_en, decision.next_allowed_at
                )
            )
            continue
        deferred = _retry_slot_block(entry, slots, local_now)
        if deferred is not None:
            schedule.blocked.append(deferred)
            continue
        tier, reason, due_by = _due(entry, profile, now, local_now.date(), deadlines)
        item = WorkItem(entry, _agent_for(entry.case, agents), TIERS[tier], reason, due_by)
        keyed.append(
            (
                (
                    tier,
                    due_by or far,
                    -entry.case.days_past_due,
                    -entry.case.amount_overdue_cents,
                    entry.case.facts.case_id,
                    entry.person.contact_type != "debtor",
                    _KIND_ORDER.get(entry.kind, 3),
                    entry.number.e164,
                ),
                item,
            )
        )
    keyed.sort(key=lambda pair: pair[0])
    schedule.dialable = [item for _, item in keyed]
    return schedule


def _agent_for(case: CaseEntry, agents: Sequence[str]) -> str:
    if case.agent:
        return case.agent
    if not agents:
        return "unassigned"
    return agents[case.facts.case_id % len(agents)]


class _Deadlines:
    """First-call deadlines and their wording: computed once per import date, found per case."""

    def __init__(self, profile: Profile, zone: ZoneInfo) -> None:
        self.profile, self.zone = profile, zone
        self._by_case: dict[int, tuple[datetime | None, str]] = {}
        self._by_day: dict[date, tuple[datetime | None, str]] = {}

    def of(self, case_id: int, imported_at: datetime) -> tuple[datetime | None, str]:
        found = self._by_case.get(case_id)  # ints hash faster than aware datetimes
        if found is None:
            day = imported_at.astimezone(self.zone).date()
            found = self._by_day.get(day)
            if found is None:
                deadline = first_call_deadline(imported_at, self.profile, self.zone)
                reason = (
                    f"first call due by {deadline:%Y-%m-%d %H:%M}"
                    if deadline
                    else "first call: deadline unknown (no calendar for the year), call now"
                )
                found = self._by_day[day] = (deadline, reason)
            self._by_case[case_id] = found
        return found


def _due(
    entry: NumberEntry, profile: Profile, now: datetime, today: date, deadlines: _Deadlines
) -> tuple[int, str, datetime | None]:
    case = entry.case
    if not case.attempted:
        deadline, reason = deadlines.of(case.facts.case_id, case.imported_at)
        return 0, reason, deadline
    if case.promised_date is not None and case.promised_date <= today:
        return 1, f"promised to pay on {case.promised_date}: follow up", None
    every = timedelta(days=profile.scheduling.lost_contact_every_days)
    if case.last_connected_at is None or now - case.last_connected_at >= every:
        return 2, f"not reached for {profile.scheduling.lost_contact_every_days}+ days", None
    return 3, f"{case.days_past_due} days past due", None


def first_call_deadline(imported_at: datetime, profile: Profile, zone: ZoneInfo) -> datetime | None:
    """The end of the N-th working day after the import day (None if the calendar is unknown)."""
    day = imported_at.astimezone(zone).date()
    remaining = profile.scheduling.first_call_working_days
    for _ in range(60):
        if remaining == 0:
            return datetime.combine(day, time(23, 59, 59), tzinfo=zone)
        day += timedelta(days=1)
        working = is_working_day(day, profile.calendar)
        if working is None:
            return None
        remaining -= int(working)
    return None


def _slot_of(local: datetime, slots: Sequence[tuple[time, time]]) -> int | None:
    for index, (start, end) in enumerate(slots):
        if start <= local.time() < end:
            return index
    return None


def _retry_slot_block(
    entry: NumberEntry, slots: Sequence[tuple[time, time]], local: datetime
) -> BlockedItem | None:
    """An unanswered number waits for the next slot rather than being redialled in this one."""
    if not slots or not entry.history.attempts:
        return None
    mine = [a for a in entry.history.attempts if a.e164 == entry.number.e164]
    last = max(mine, key=lambda a: a.at, default=None)
    if last is None or last.outcome != Outcome.UNANSWERED:
        return None
    last_local = last.at.astimezone(local.tzinfo)
    now_slot, last_slot = _slot_of(local, slots), _slot_of(last_local, slots)
    if last_local.date() != local.date() or now_slot is None or now_slot != last_slot:
        return None
    later = [start for start, _ in slots[now_slot + 1 :]]
    day, start = (
        (local.date(), later[0]) if later else (local.date() + timedelta(days=1), slots[0][0])
    )
    at = datetime.combine(day, start, tzinfo=local.tzinfo)
    return BlockedItem(entry, RETRY_RULE, "unanswered in this retry slot: next slot", at)
