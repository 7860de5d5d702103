"""Team progress (团队催收进度): each agent's numbers over a day, week or month, and the
team's. Pure: rows in, figures out; ``now`` and the working-day calendar are passed in.

The rows are what :mod:`store.team_progress` reads, one per call, promise, payment, case,
flag and complaint, each already tied to an agent and a day on the centre's clock:

- **cases worked** (作业案件): the distinct cases an agent dialled, per day, added up over
  the period; measured against ``daily_target`` × the days the agent dialled at all (a day
  off is not a shortfall);
- **contact rate** (接通率): connected calls ÷ calls dialled;
- **promises** (承诺还款): those recorded in the period, judged at ``now`` by
  :func:`compliance.promises.promise_status` against the case's payments;
- **recovered** (回款): payments dated in the period on the agent's cases, against what
  those cases were assigned for (委案金额);
- **new-case coverage** (新案覆盖): a case imported in the period must be dialled by the end
  of the ``coverage_days``-th working day after its import day; a case whose deadline has
  not come yet is neither covered nor missed; past a year no calendar knows, the days are
  counted as calendar days (the stricter reading, never a guess);
- **flags per 100 calls** (每百通标记): the detector's findings on the agent's conduct on the
  period's calls, with QA's verdicts on them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from enum import StrEnum

from compliance.policy.calendar import CalendarYear, working_days_later
from compliance.promises import PaymentMade, Promise, PromiseStatus, promise_status


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


LABELS = {Granularity.DAY: "日 Day", Granularity.WEEK: "周 Week", Granularity.MONTH: "月 Month"}
TREND_DAYS_FOR_A_DAY = 7
"""A day's trend shows the week up to it: one point alone is not a trend."""


def period_of(day: date, granularity: Granularity) -> tuple[date, date]:
    """The period holding ``day``: [first, last], both included; weeks start on Monday."""
    if granularity is Granularity.DAY:
        return day, day
    if granularity is Granularity.WEEK:
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def trend_days(first: date, last: date) -> list[date]:
    """The days the trend charts show: the period's, or the week up to a single day."""
    if first == last:
        first = last - timedelta(days=TREND_DAYS_FOR_A_DAY - 1)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class CallRow:
    agent_id: int
    case_id: int
    day: date
    connected: bool
    talk_s: float
    owes_note: bool


@dataclass(frozen=True)
class PromiseRow:
    agent_id: int
    case_id: int
    amount_cents: int
    due: date
    made_at: datetime


@dataclass(frozen=True)
class PaymentRow:
    case_id: int
    amount_cents: int
    paid_on: date


@dataclass(frozen=True)
class CaseRow:
    """A case an agent holds: what it was assigned for, when it came, when first dialled."""

    agent_id: int
    case_id: int
    account_no: str
    assigned_cents: int
    imported_on: date
    first_dialled_on: date | None


@dataclass(frozen=True)
class FlagRow:
    agent_id: int
    day: date
    verdicts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComplaintRow:
    agent_id: int
    day: date


@dataclass(frozen=True)
class Rows:
    """Everything the figures are made of, for one set of agents and a window of days."""

    calls: list[CallRow] = field(default_factory=list)
    promises: list[PromiseRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)
    """Every payment on the cases the promises and the agents' cases name, any day."""
    cases: list[CaseRow] = field(default_factory=list)
    flags: list[FlagRow] = field(default_factory=list)
    complaints: list[ComplaintRow] = field(default_factory=list)


_SUMMED = (
    *("days_worked", "cases_worked", "attempts", "connected", "talk_s", "notes_owed"),
    *("promises", "promised_cents", "recovered_cents", "assigned_cents", "new_cases"),
    *("covered", "flags", "complaints", "target"),
)


@dataclass
class Measures:
    days_worked: int = 0
    cases_worked: int = 0
    attempts: int = 0
    connected: int = 0
    talk_s: float = 0.0
    notes_owed: int = 0
    promises: int = 0
    promised_cents: int = 0
    promise_status: Counter[str] = field(default_factory=Counter)
    recovered_cents: int = 0
    assigned_cents: int = 0
    new_cases: int = 0
    covered: int = 0
    missed: list[CaseRow] = field(default_factory=list)
    flags: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    complaints: int = 0
    target: int = 0
    """Cases to work: ``daily_target`` × days worked."""

    @property
    def kept(self) -> int:
        return self.promise_status[PromiseStatus.KEPT]

    @property
    def broken(self) -> int:
        return self.promise_status[PromiseStatus.BROKEN]

    @property
    def contact_rate(self) -> float | None:
        return self.connected / self.attempts if self.attempts else None

    @property
    def flags_per_100(self) -> float | None:
        return 100 * self.flags / self.attempts if self.attempts else None

    @property
    def recovery_rate(self) -> float | None:
        return self.recovered_cents / self.assigned_cents if self.assigned_cents else None

    @property
    def coverage(self) -> float | None:
        """Covered ÷ those whose deadline has come (covered + missed)."""
        due = self.covered + len(self.missed)
        return self.covered / due if due else None

    def add(self, other: Measures) -> None:
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.promise_status.update(other.promise_status)
        self.verdicts.update(other.verdicts)
        self.missed.extend(other.missed)


@dataclass(frozen=True)
class DayPoint:
    """One day of the trend, for a set of agents."""

    day: date
    attempts: int
    connected: int
    promises: int
    recovered_cents: int


@dataclass(frozen=True)
class Terms:
    """What the figures are measured against (from the settings and the profile)."""

    daily_target: int
    coverage_days: int
    calendar: Mapping[int, CalendarYear]
    zone: tzinfo


def progress(
    rows: Rows,
    agent_ids: Iterable[int],
    first: date,
    last: date,
    *,
    now: datetime,
    terms: Terms,
) -> dict[int, Measures]:
    """Each agent's measures over [first, last] (days on the centre's clock)."""
    found = {agent_id: Measures() for agent_id in agent_ids}

    def inside(day: date) -> bool:
        return first <= day <= last

    worked: dict[int, set[tuple[date, int]]] = defaultdict(set)
    for call in rows.calls:
        mine = found.get(call.agent_id)
        if mine is None or not inside(call.day):
            continue
        worked[call.agent_id].add((call.day, call.case_id))
        mine.attempts += 1
        mine.connected += call.connected
        mine.talk_s += call.talk_s
        mine.notes_owed += call.owes_note
    for agent_id, pairs in worked.items():
        found[agent_id].cases_worked = len(pairs)
        found[agent_id].days_worked = len({day for day, _ in pairs})
        found[agent_id].target = terms.daily_target * found[agent_id].days_worked
    _promises(rows, found, inside, now, terms.zone)
    _cases(rows, found, inside, now, terms)
    for flag in rows.flags:
        if flag.agent_id in found and inside(flag.day):
            found[flag.agent_id].flags += 1
            found[flag.agent_id].verdicts.update(flag.verdicts)
    for complaint in rows.complaints:
        if complaint.agent_id in found and inside(complaint.day):
            found[complaint.agent_id].complaints += 1
    return found


def _paid_by_case(rows: Rows) -> dict[int, list[PaymentMade]]:
    paid: dict[int, list[PaymentMade]] = defaultdict(list)
    for payment in rows.payments:
        paid[payment.case_id].append(PaymentMade(payment.amount_cents, payment.paid_on))
    return paid


def _promises(
    rows: Rows,
    found: dict[int, Measures],
    inside: Callable[[date], bool],
    now: datetime,
    zone: tzinfo,
) -> None:
    paid = _paid_by_case(rows)
    for row in rows.promises:
        mine = found.get(row.agent_id)
        if mine is None or not inside(row.made_at.astimezone(zone).date()):
            continue
        promise = Promise(row.amount_cents, row.due, row.made_at)
        judged = promise_status(promise, paid.get(row.case_id, []), now, zone)
        mine.promises += 1
        mine.promised_cents += row.amount_cents
        mine.promise_status[judged.status] += 1


def _cases(
    rows: Rows,
    found: dict[int, Measures],
    inside: Callable[[date], bool],
    now: datetime,
    terms: Terms,
) -> None:
    today = now.astimezone(terms.zone).date()
    holder = {case.case_id: case.agent_id for case in rows.cases}
    for payment in rows.payments:
        agent_id = holder.get(payment.case_id)
        if agent_id in found and inside(payment.paid_on):
            found[agent_id].recovered_cents += payment.amount_cents
    for case in rows.cases:
        mine = found.get(case.agent_id)
        if mine is None:
            continue
        mine.assigned_cents += case.assigned_cents
        if not inside(case.imported_on):
            continue
        mine.new_cases += 1
        deadline = working_days_later(case.imported_on, terms.coverage_days, terms.calendar).day
        if deadline is None:  # a year no calendar knows: the stricter calendar-day reading
            deadline = case.imported_on + timedelta(days=terms.coverage_days)
        if case.first_dialled_on is not None and case.first_dialled_on <= deadline:
            mine.covered += 1
        elif deadline < today:
            mine.missed.append(case)


def trend(rows: Rows, agent_ids: Iterable[int], days: list[date], zone: tzinfo) -> list[DayPoint]:
    """The day-by-day series of ``agent_ids`` together, for the trend charts."""
    ids = set(agent_ids)
    attempts: Counter[date] = Counter()
    connected: Counter[date] = Counter()
    promises: Counter[date] = Counter()
    recovered: Counter[date] = Counter()
    for call in rows.calls:
        if call.agent_id in ids:
            attempts[call.day] += 1
            connected[call.day] += call.connected
    for row in rows.promises:
        if row.agent_id in ids:
            promises[row.made_at.astimezone(zone).date()] += 1
    holder = {case.case_id: case.agent_id for case in rows.cases}
    for payment in rows.payments:
        if holder.get(payment.case_id) in ids:
            recovered[payment.paid_on] += payment.amount_cents
    return [
        DayPoint(day, attempts[day], connected[day], promises[day], recovered[day]) for day in days
    ]
