"""Worklists: which numbers each agent should dial next, and why (pure).

The policy says whether a number *may* be dialled; the scheduler says which of
the dialable numbers are most *due*:

1. a new case's first call, due within ``first_call_working_days`` working days of import;
2. a promised payment whose date has come (follow-up);
3. a case whose related contacts wait: the debtor cannot be reached and no related contact
   was attempted for ``related_contact_every_working_days`` working days
   (:mod:`dialer.related_contact`);
4. a case not reached for ``lost_contact_every_working_days`` working days (or
   ``lost_contact_every_days`` calendar days), or never reached: lost contact (失联);
5. everything else, by days past due, then amount.

An unanswered number is retried in the next retry slot (morning / noon /
evening), not again in the same one: until then it is listed as deferred.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import compress, count, repeat
from operator import attrgetter, itemgetter, not_, or_
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    Consent,
    ContactType,
    DebtorReach,
    Decision,
    Evaluator,
    NumberFacts,
    Outcome,
    PersonFacts,
)
from compliance.policy.calendar import is_working_day, working_days_later
from compliance.policy.facts import NO_REACH
from compliance.policy.profile import Profile
from dialer import due_words
from dialer.book import Book, CaseColumns, NumberEntry
from dialer.due_words import Why
from dialer.related_contact import RELATED_RULE, RelatedDue, related_due
from dialer.worklist import BlockedList, CasePlans, Said, Worklist

RETRY_RULE = "schedule.retry_slot"
RETRY_REASON = "unanswered in this retry slot: next slot"
RETRY_REASON_ZH = "本时段已拨未接通，下一时段再拨"
TIERS = (
    "schedule.first_call",
    "schedule.promise_follow_up",
    RELATED_RULE,
    "schedule.lost_contact",
    "schedule.routine",
)


@dataclass(frozen=True, slots=True)
class Schedule:
    at: datetime
    ruleset: str
    dialable: Worklist
    blocked: BlockedList

    def for_agent(self, agent: str) -> Worklist:
        return self.dialable.for_agent(agent)


_KIND_ORDER = {"mobile": 0, "home": 1, "work": 2}


def calling_rank(contact_type: str, kind: str) -> int:
    """A number's rank within its case (lowest first; ties in the book's order): the
    debtor's numbers first, then mobile, home, work, other. :func:`_ordered` computes the
    same, column-wise; the agent's page orders a case's numbers with this."""
    return (0 if contact_type == ContactType.DEBTOR else 4) | _KIND_ORDER.get(kind, 3)


def build_schedule(
    entries: Iterable[NumberEntry], profile: Profile, now: datetime, agents: Sequence[str]
) -> Schedule:
    """Decide every number at ``now`` and order the dialable ones by due-ness."""
    return schedule_book(Book.of(entries), profile, now, agents)


def schedule_book(book: Book, profile: Profile, now: datetime, agents: Sequence[str]) -> Schedule:
    """:func:`build_schedule` for a whole book.

    A number without history is decided once per kind of number, as the engine would
    decide it; only the few with history are decided one by one. Due-ness depends on
    the case alone, so cases are ordered, then each case's numbers.
    """
    local_now = now.astimezone(ZoneInfo(profile.timezone))
    blocked = BlockedList(book)
    dialable, said = _decide_numbers(book, Evaluator(profile), now, local_now, blocked)
    ordered = _ordered(book, dialable, profile, local_now, agents, said)
    return Schedule(now, profile.ruleset, ordered, blocked)


def _decide_numbers(
    book: Book, evaluator: Evaluator, now: datetime, local_now: datetime, blocked: BlockedList
) -> tuple[list[int], Said]:
    """Decide each number: the blocked go to ``blocked``; returns the dialable positions and,
    for those a debtor's consent made dialable or the third-party gate let through, the
    decision's words saying so."""
    cases, numbers = book.cases, book.numbers
    decisions = _fresh_decisions(book, evaluator, now)
    slots = evaluator.profile.scheduling.retry_slots
    # an attempt before today's local midnight was in none of today's slots
    midnight = datetime.combine(local_now.date(), time(0), tzinfo=local_now.tzinfo)
    waits: dict[int, datetime] = {}
    for position in compress(count(), map(bool, numbers.history)):  # attempts, or a call up
        history = numbers.history[position]
        decision = decisions[position] = evaluator.decide(
            numbers.number_facts(position),
            numbers.person_facts(position),
            cases.facts(numbers.case[position]),
            history,
            now,
        )
        if decision.allowed and slots and history.attempts and history.attempts[-1].at >= midnight:
            wait = _retry_slot_wait(numbers.e164[position], history, slots, local_now)
            if wait is not None:
                waits[position] = wait
    allowed = list(map(_allowed, decisions))
    for position in waits:
        allowed[position] = False
    for position in compress(count(), map(not_, allowed)):
        wait = waits.get(position)
        if wait is not None:
            blocked.add(position, RETRY_RULE, RETRY_REASON, wait, reason_zh=RETRY_REASON_ZH)
        else:
            decision = decisions[position]
            rule = decision.rule_id or ""
            blocked.add(
                position,
                rule,
                decision.reason_en,
                decision.next_allowed_at,
                reason_zh=decision.reason_zh,
                reason_until=decision.blocks[0].next_allowed_at if decision.blocks else None,
            )
    dialable = list(compress(count(), allowed))
    said = Said()
    for position in dialable:
        decision = decisions[position]
        if decision.consents:
            said.consented[position] = f"{decision.reason_zh} · {decision.reason_en}"
            said.in_chinese[position] = decision.reason_zh
            said.in_english[position] = decision.reason_en
        elif decision.grounds:  # a third party the gate let through: which test held
            said.grounded[position] = "；".join(
                f"{g.reason_zh} · {g.reason_en}" for g in decision.grounds
            )
            said.in_chinese[position] = "；".join(g.reason_zh for g in decision.grounds)
            said.in_english[position] = "; ".join(g.reason_en for g in decision.grounds)
    return dialable, said


_allowed = attrgetter("allowed")


def _fresh_decisions(book: Book, evaluator: Evaluator, now: datetime) -> list[Decision]:
    """Each number's decision as if it had no history, one ``decide`` per kind of number.

    A kind is every fact but the ids and the number itself: without history the engine
    reads nothing else (its own memo, keyed by :func:`compliance.policy.fact_key`, relies
    on the same), so each kind is decided once, from its facts alone. One pass of ``map``
    and ``zip``: a million numbers cost a million small tuples and lookups, nothing more.
    """
    cases, numbers = book.cases, book.numbers
    decided = _DecidedByKind(evaluator, now)
    case_kind = list(
        map(
            decided.case_kind,
            zip(
                cases.client_bank,
                cases.status,
                cases.hold_reason,
                cases.debtor or repeat(NO_REACH, len(cases)),
                cases.consents or repeat((), len(cases)),
                strict=True,
            ),
        )
    )
    kinds = zip(
        map(case_kind.__getitem__, numbers.case),
        numbers.contact_type,
        numbers.do_not_call,
        numbers.state,
        numbers.time_zones,
        strict=True,
    )
    return list(map(decided.__getitem__, kinds))


CaseKind = tuple[str, str, str | None, DebtorReach, tuple[Consent, ...]]
"""(client bank, status, hold reason, the debtor's reach: read by the third-party gate, the
consents: read for the debtor by rules marked ``consent``)"""
NumberKind = tuple[int, ContactType, bool, str, tuple[str, ...]]
"""(case kind's index, contact type, do-not-call, number state, time zones)"""


class _DecidedByKind(dict[NumberKind, Decision]):
    """The decision for each kind of number without history, made when first asked for."""

    def __init__(self, evaluator: Evaluator, now: datetime) -> None:
        super().__init__()
        self.evaluator, self.now = evaluator, now
        self.case_kinds: list[CaseKind] = []
        self._case_kind_index: dict[CaseKind, int] = {}

    def case_kind(self, kind: CaseKind) -> int:
        index = self._case_kind_index.get(kind)
        if index is None:
            index = self._case_kind_index[kind] = len(self.case_kinds)
            self.case_kinds.append(kind)
        return index

    def __missing__(self, kind: NumberKind) -> Decision:
        case, contact, dnc, state, zones = kind
        bank, status, hold, debtor, consents = self.case_kinds[case]
        # the debtor's own numbers never read the debtor's reach, a third party's never read
        # the consents (as the engine's key): each decided once for the cases that differ so
        if contact == ContactType.DEBTOR:
            plain = (bank, status, hold, NO_REACH, consents)
        else:
            plain = (bank, status, hold, debtor, ())
        if plain != self.case_kinds[case]:
            decision = self[kind] = self[self.case_kind(plain), contact, dnc, state, zones]
            return decision
        decision = self[kind] = self.evaluator.decide(
            NumberFacts("", dnc, state, zones),
            PersonFacts(0, contact),
            CaseFacts(0, bank, status, hold, debtor, consents),
            AttemptHistory(),
            self.now,
        )
        return decision


def _ordered(  # noqa: PLR0917 (the schedule's parts)
    book: Book,
    dialable: list[int],
    profile: Profile,
    now: datetime,
    agents: Sequence[str],
    said: Said,
) -> Worklist:
    """The dialable numbers, most due case first; ``now`` on the profile's clock.

    Within a case: the debtor's numbers first, then mobile, home, work, other; then as
    the book lists them. One stable sort does it (numpy's, on a million int keys): each
    number's key is its case's rank, then its place within the case.
    """
    cases, numbers = book.cases, book.numbers
    related = related_due(book, profile, now)
    plans, case_order = _case_plans(cases, profile, now, agents, related)
    case_rank = np.empty(len(cases), dtype=np.int64)
    case_rank[case_order] = np.arange(len(cases), dtype=np.int64) << 3
    # within the case: 0 for the debtor, 4 for a contact, plus the kind's order (0–3)
    contact_place = map((0, 4).__getitem__, map(ContactType.DEBTOR.__ne__, numbers.contact_type))
    within = map(or_, contact_place, map(_KIND_ORDER.get, numbers.kind, repeat(3)))
    positions = np.array(dialable, dtype=np.int64)
    keys = case_rank[np.frombuffer(numbers.case, dtype=np.int64)[positions]]
    keys |= np.fromiter(within, dtype=np.int64, count=len(numbers))[positions]
    order = positions[np.argsort(keys, kind="stable")]
    return Worklist(book, array("q", order.tobytes()), plans, said)


def _case_plans(
    cases: CaseColumns,
    profile: Profile,
    now: datetime,
    agents: Sequence[str],
    related: dict[int, RelatedDue],
) -> tuple[CasePlans, npt.NDArray[np.intp]]:
    """Why each case is due and who dials it; and the case slots, most due first (see the
    module's docstring).

    Column by column: most cases were never dialled, and their plan is the first-call
    deadline of their import, so only the dialled ones are looked at one by one.
    """
    deadlines = _Deadlines(profile, ZoneInfo(profile.timezone))
    first_calls = list(map(deadlines.__getitem__, cases.imported_at))
    due_by: list[datetime | None] = list(map(itemgetter(0), first_calls))
    reason: list[Why] = list(map(itemgetter(1), first_calls))
    tier = [0] * len(cases)
    reached_today = [0] * len(cases)
    today = now.date()
    lost_after = LostContact(profile)
    for slot in compress(count(), cases.attempted):
        due_by[slot] = None
        reached = cases.last_connected_at[slot]
        reached_today[slot] = int(
            reached is not None and reached.astimezone(now.tzinfo).date() == today
        )
        if (promised := cases.promised_date[slot]) is not None and promised <= today:
            tier[slot], reason[slot] = 1, due_words.promised(promised)
        elif (due := related.get(slot)) is not None and (due.at is None or now >= due.at):
            tier[slot], reason[slot], due_by[slot] = 2, due.why, due.due_by
        elif (lost := lost_after.why(cases.last_connected_at[slot], now)) is not None:
            tier[slot], reason[slot] = 3, lost
        else:
            tier[slot], reason[slot] = 4, due_words.past_due(cases.days_past_due[slot])
    pool = len(agents)
    agent = [
        assigned or (agents[case_id % pool] if pool else "unassigned")
        for assigned, case_id in zip(cases.agent, cases.case_id, strict=True)
    ]
    english = [why.en for why in reason]
    for slot in compress(count(), map((2).__eq__, tier)):  # the CLI's words for it stay bilingual
        english[slot] = related[slot].reason
    plans = CasePlans(
        agent,
        list(map(TIERS.__getitem__, tier)),
        english,
        due_by,
        reached_today,
        reason,
    )
    return plans, _most_due_first(cases, tier, due_by, reached_today)


def _most_due_first(
    cases: CaseColumns, tier: list[int], due_by: list[datetime | None], reached_today: list[int]
) -> npt.NDArray[np.intp]:
    """The case slots: those whose debtor was reached today last (an agent who has just
    spoken with them is not offered the case again next); then by tier, the earliest
    deadline (none last), the most days past due, the largest amount, the lowest case id."""
    deadlines = sorted({d for d in due_by if d is not None})
    deadline_rank: dict[datetime | None, int] = {d: i for i, d in enumerate(deadlines)}
    deadline_rank[None] = len(deadlines)

    def column(values: Iterable[int]) -> npt.NDArray[np.int64]:
        return np.fromiter(values, dtype=np.int64, count=len(cases))

    keys = (  # np.lexsort sorts by the last key first
        column(cases.case_id),
        -column(cases.amount_overdue_cents),
        -column(cases.days_past_due),
        column(map(deadline_rank.__getitem__, due_by)),
        column(tier),
        column(reached_today),
    )
    return np.lexsort(keys)


class _Deadlines(dict[datetime, tuple[datetime | None, Why]]):
    """A case's first-call deadline and its wording, by import instant (an import gives
    its cases one instant), computed once per import day."""

    def __init__(self, profile: Profile, zone: ZoneInfo) -> None:
        super().__init__()
        self.profile, self.zone = profile, zone
        self._by_day: dict[date, tuple[datetime | None, Why]] = {}

    def __missing__(self, imported_at: datetime) -> tuple[datetime | None, Why]:
        day = imported_at.astimezone(self.zone).date()
        found = self._by_day.get(day)
        if found is None:
            deadline = first_call_deadline(imported_at, self.profile, self.zone)
            found = self._by_day[day] = (deadline, due_words.first_call(deadline))
        self[imported_at] = found
        return found


class LostContact(dict[datetime, datetime]):
    """When a case last reached at an instant becomes due as lost contact (失联): after the
    profile's working days (local midnight of the N-th working day after the day it was
    reached) or calendar days. A year no calendar knows makes it due at once, as for a first
    call: the policy, not the order, is what keeps calls off an unknown day."""

    def __init__(self, profile: Profile) -> None:
        super().__init__()
        scheduling = profile.scheduling
        self.calendar, self.zone = profile.calendar, ZoneInfo(profile.timezone)
        self.working_days = scheduling.lost_contact_every_working_days
        self.days = scheduling.lost_contact_every_days
        self._by_day: dict[date, datetime | None] = {}

    def __missing__(self, last: datetime) -> datetime:
        if self.working_days is None:
            assert self.days is not None
            due = self[last] = last + timedelta(days=self.days)
            return due
        day = last.astimezone(self.zone).date()
        if day not in self._by_day:
            reached = working_days_later(day, self.working_days, self.calendar).day
            self._by_day[day] = (
                None if reached is None else datetime.combine(reached, time(0), tzinfo=self.zone)
            )
        due = self[last] = self._by_day[day] or last
        return due

    def why(self, last: datetime | None, now: datetime) -> Why | None:
        """Why the case is lost contact at ``now``; None while it is not."""
        if self.working_days is None:
            if last is not None and now < self[last]:
                return None
            return due_words.not_reached_days(self.days)
        if last is None:
            return due_words.not_reached_working_days(self.working_days)
        due_at = self[last]
        if now < due_at:
            return None
        if due_at == last:
            return due_words.LOST_UNKNOWN
        return due_words.not_reached_working_days(self.working_days)


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


def _retry_slot_wait(
    e164: str, history: AttemptHistory, slots: Sequence[tuple[time, time]], local: datetime
) -> datetime | None:
    """When an unanswered number may be retried, if not in this slot: it waits for the next
    slot rather than being redialled in this one."""
    # the history is in order, ties on the instant by reservation: its last is the last
    last = next((a for a in reversed(history.attempts) if a.e164 == e164), None)
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
    return datetime.combine(day, start, tzinfo=local.tzinfo)
