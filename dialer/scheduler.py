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

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import overload
from zoneinfo import ZoneInfo

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    Decision,
    Evaluator,
    NumberFacts,
    Outcome,
    PersonFacts,
    fact_key,
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


Candidate = tuple[
    CaseEntry, int, int, str, str, str, ContactType, bool, tuple[str, ...], AttemptHistory
]
"""A number as the scheduler reads it, without building its facts: (case, phone number id,
person id, e164, kind, number state, contact type, do-not-call, time zones, history).
A million of these cost a fraction of a million :class:`NumberEntry` objects; the entry is
made only for the numbers someone looks at."""


def candidate_of(entry: NumberEntry) -> Candidate:
    number, person = entry.number, entry.person
    return (
        entry.case,
        entry.phone_number_id,
        person.person_id,
        number.e164,
        entry.kind,
        number.state,
        person.contact_type,
        number.do_not_call,
        number.time_zones,
        entry.history,
    )


def entry_of(candidate: Candidate) -> NumberEntry:
    case, number_id, person_id, e164, kind, state, contact, dnc, zones, history = candidate
    return NumberEntry(
        case,
        NumberFacts(e164, dnc, state, zones),
        PersonFacts(person_id, contact),
        kind,
        history,
        number_id,
    )


@dataclass(frozen=True, slots=True)
class _CasePlan:
    """Why a case is due and who dials it: the same for each of its numbers."""

    agent: str
    rule: str
    reason: str
    due_by: datetime | None


class Worklist(Sequence[WorkItem]):
    """Dialable numbers, most due first; each :class:`WorkItem` is made when it is read.

    Two parallel lists rather than a list of pairs: a million pairs would be a million
    more objects for the garbage collector to walk.
    """

    def __init__(self) -> None:
        self._candidates: list[Candidate] = []
        self._plans: list[_CasePlan] = []

    def extend(self, candidates: list[Candidate], plan: _CasePlan) -> None:
        self._candidates.extend(candidates)
        self._plans.extend([plan] * len(candidates))

    def __len__(self) -> int:
        return len(self._candidates)

    @overload
    def __getitem__(self, index: int) -> WorkItem: ...

    @overload
    def __getitem__(self, index: slice) -> list[WorkItem]: ...

    def __getitem__(self, index: int | slice) -> WorkItem | list[WorkItem]:
        if isinstance(index, slice):
            pairs = zip(self._candidates[index], self._plans[index], strict=True)
            return [_item(candidate, plan) for candidate, plan in pairs]
        return _item(self._candidates[index], self._plans[index])

    def __iter__(self) -> Iterator[WorkItem]:
        pairs = zip(self._candidates, self._plans, strict=True)
        return (_item(candidate, plan) for candidate, plan in pairs)

    def for_agent(self, agent: str) -> Worklist:
        mine = Worklist()
        for candidate, plan in zip(self._candidates, self._plans, strict=True):
            if plan.agent == agent:
                mine._candidates.append(candidate)
                mine._plans.append(plan)
        return mine


def _item(candidate: Candidate, plan: _CasePlan) -> WorkItem:
    return WorkItem(entry_of(candidate), plan.agent, plan.rule, plan.reason, plan.due_by)


@dataclass
class Schedule:
    at: datetime
    ruleset: str
    dialable: Worklist = field(default_factory=Worklist)
    blocked: list[BlockedItem] = field(default_factory=list)

    def for_agent(self, agent: str) -> Worklist:
        return self.dialable.for_agent(agent)


_KIND_ORDER = {"mobile": 0, "home": 1, "work": 2}


def build_schedule(
    entries: Iterable[NumberEntry], profile: Profile, now: datetime, agents: Sequence[str]
) -> Schedule:
    """Decide every number at ``now`` and order the dialable ones by due-ness."""
    return schedule_candidates(map(candidate_of, entries), profile, now, agents)


def schedule_candidates(
    candidates: Iterable[Candidate], profile: Profile, now: datetime, agents: Sequence[str]
) -> Schedule:
    """:func:`build_schedule` for numbers read straight from the book (see :data:`Candidate`).

    A number without history is decided once per kind of number (its :func:`fact_key`
    and zones), as the engine would decide it; only the few with history are decided
    one by one. Due-ness depends on the case alone, so cases are ordered, then each
    case's numbers (debtor first, mobile before home before work).
    """
    evaluator = Evaluator(profile)
    local_now = now.astimezone(ZoneInfo(profile.timezone))
    slots = profile.scheduling.retry_slots
    schedule = Schedule(at=now, ruleset=profile.ruleset)
    fresh: dict[tuple[object, ...], Decision] = {}
    by_case: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        case, _, person_id, e164, _, state, contact, dnc, zones, history = candidate
        facts = case.facts
        if history.attempts:
            decision = evaluator.decide(
                NumberFacts(e164, dnc, state, zones),
                PersonFacts(person_id, contact),
                facts,
                history,
                now,
            )
        else:
            key = fact_key(contact, facts.client_bank, facts.status, facts.hold_reason, dnc, state)
            decision = fresh.get((key, zones))  # type: ignore[assignment]
            if decision is None:
                number = NumberFacts(e164, dnc, state, zones)
                person = PersonFacts(person_id, contact)
                decision = evaluator.decide(number, person, facts, history, now)
                fresh[(key, zones)] = decision
        if not decision.allowed:
            rule = decision.rule_id or ""
            blocked = BlockedItem(
                entry_of(candidate), rule, decision.reason_en, decision.next_allowed_at
            )
            schedule.blocked.append(blocked)
            continue
        if history.attempts and slots:
            deferred = _retry_slot_block(entry_of(candidate), slots, local_now)
            if deferred is not None:
                schedule.blocked.append(deferred)
                continue
        found = by_case.get(facts.case_id)
        if found is None:
            by_case[facts.case_id] = [candidate]
        else:
            found.append(candidate)
    schedule.dialable = _ordered(by_case, profile, now, local_now.date(), agents)
    return schedule


def _ordered(
    by_case: dict[int, list[Candidate]],
    profile: Profile,
    now: datetime,
    today: date,
    agents: Sequence[str],
) -> Worklist:
    deadlines = _Deadlines(profile, ZoneInfo(profile.timezone))
    far = datetime.max.replace(tzinfo=now.tzinfo)
    keyed = []
    for case_id, numbers in by_case.items():
        case = numbers[0][0]
        tier, reason, due_by = _due(case, profile, now, today, deadlines)
        plan = _CasePlan(_agent_for(case, agents), TIERS[tier], reason, due_by)
        key = (tier, due_by or far, -case.days_past_due, -case.amount_overdue_cents, case_id)
        keyed.append((key, plan, numbers))
    keyed.sort(key=lambda triple: triple[0])
    worklist = Worklist()
    for _, plan, numbers in keyed:
        if len(numbers) > 1:
            numbers.sort(key=_number_order)  # stable: one number listed twice keeps its order
        worklist.extend(numbers, plan)
    return worklist


def _number_order(candidate: Candidate) -> tuple[bool, int, str]:
    """Within a case: the debtor first, then mobile, home, work."""
    return (candidate[6] != "debtor", _KIND_ORDER.get(candidate[4], 3), candidate[3])


def _agent_for(case: CaseEntry, agents: Sequence[str]) -> str:
    if case.agent:
        return case.agent
    if not agents:
        return "unassigned"
    return agents[case.facts.case_id % len(agents)]


class _Deadlines:
    """First-call deadlines and their wording, computed once per import date."""

    def __init__(self, profile: Profile, zone: ZoneInfo) -> None:
        self.profile, self.zone = profile, zone
        self._by_day: dict[date, tuple[datetime | None, str]] = {}
        self._by_instant: dict[datetime, tuple[datetime | None, str]] = {}

    def of(self, imported_at: datetime) -> tuple[datetime | None, str]:
        found = self._by_instant.get(imported_at)  # an import gives its cases one instant
        if found is None:
            found = self._by_instant[imported_at] = self._of_day(imported_at)
        return found

    def _of_day(self, imported_at: datetime) -> tuple[datetime | None, str]:
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
        return found


def _due(
    case: CaseEntry, profile: Profile, now: datetime, today: date, deadlines: _Deadlines
) -> tuple[int, str, datetime | None]:
    if not case.attempted:
        deadline, reason = deadlines.of(case.imported_at)
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
