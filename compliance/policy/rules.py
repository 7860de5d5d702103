"""One check per rule kind: facts + the moment in → a :class:`Block` or None (allowed).

Every block carries a reason in Chinese and English and, where the rule
itself knows it, the earliest instant it would allow the call again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from compliance.policy.calendar import (
    ADD_YEAR_EN,
    ADD_YEAR_ZH,
    DayKind,
    day_kind,
    working_days_later,
)
from compliance.policy.facts import (
    HOLD_REASON_ZH,
    STATUS_ZH,
    AttemptHistory,
    CaseFacts,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
)
from compliance.policy.profile import Profile
from compliance.policy.rule_specs import (
    CapRule,
    CaseStatusRule,
    ContactTypeRule,
    DoNotCallRule,
    HoldRule,
    MinIntervalRule,
    NumberStateRule,
    OneCallAtATimeRule,
    Per,
    QuietAfterConversationRule,
    RuleSpec,
    StatutoryHolidayRule,
    WindowRule,
)


@dataclass(frozen=True, slots=True)
class Block:
    """A rule's refusal."""

    rule_id: str
    reason_zh: str
    reason_en: str
    next_allowed_at: datetime | None
    """None: not by waiting (a hold, do-not-call, an unknown calendar year…)."""


@dataclass(frozen=True, slots=True)
class Grounds:
    """Why a rule allowed a call, where that is worth saying (the third-party gate)."""

    rule_id: str
    reason_zh: str
    reason_en: str
    consent_id: int | None = None
    """The debtor's consent that relaxed the rule, if that is why it allowed the call."""


@dataclass(slots=True)
class Moment:
    """An instant on the profile's clock, with per-instant results shared by many numbers."""

    at: datetime
    zone: ZoneInfo
    local: datetime
    day_start: datetime
    """Local midnight today, as a UTC instant."""
    next_day_start: datetime
    zone_name: str
    shared: dict[str, Block | None] = field(default_factory=dict)
    """Results of the checks that depend on the instant only, by rule id."""
    decisions: dict[tuple[object, ...], Any] = field(default_factory=dict)
    """Decisions for numbers without history, by the facts they depend on."""
    static: dict[tuple[object, ...], tuple[list[tuple[int, Block]], tuple[Grounds, ...]]] = field(
        default_factory=dict
    )
    """Blocks of the rules that do not read the history, and what consents relaxed, by the
    facts they depend on."""

    @staticmethod
    def of(at: datetime, zone: ZoneInfo) -> Moment:
        local = at.astimezone(zone)
        midnight = datetime.combine(local.date(), datetime.min.time()).replace(tzinfo=zone)
        tomorrow = datetime.combine(local.date() + timedelta(days=1), datetime.min.time())
        # Kept in UTC like the attempts: comparing aware datetimes of one tzinfo skips utcoffset().
        return Moment(
            at,
            zone,
            local,
            midnight.astimezone(UTC),
            tomorrow.replace(tzinfo=zone).astimezone(UTC),
            zone.key,
        )

    def local_time_on(self, days_ahead: int, wall: time) -> datetime:
        """``wall`` o'clock on the local day ``days_ahead`` days from today, as an aware instant."""
        day = self.local.date() + timedelta(days=days_ahead)
        return datetime.combine(day, wall, tzinfo=self.zone)


@dataclass(slots=True)
class Facts:
    number: NumberFacts
    person: PersonFacts
    case: CaseFacts
    history: AttemptHistory
    profile: Profile
    by_key: dict[str, list[PastAttempt]] = field(default_factory=dict)
    """The history split by ``per`` key, computed once for all the rules that count it."""
    grounds: list[Grounds] = field(default_factory=list)
    """What the rules that allowed the call want said about it."""


Counters = dict[str, int]


def _window(rule: WindowRule, facts: Facts, moment: Moment, counters: Counters) -> Block | None:
    now = moment.local.time()
    if rule.start <= now < rule.end:
        return None
    days = 0 if now < rule.start else 1
    span = f"{rule.start:%H:%M}–{rule.end:%H:%M}"
    return Block(
        rule.id,
        f"当前时间 {now:%H:%M} 不在允许拨打时段 {span} 内",
        f"{now:%H:%M} is outside the calling window {span}",
        moment.local_time_on(days, rule.start),
    )


def _holiday(
    rule: StatutoryHolidayRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    today = moment.local.date()
    kind = day_kind(today, facts.profile.calendar)
    if kind == DayKind.COLLECTION_DAY:
        return None
    if kind == DayKind.UNKNOWN_YEAR:
        return Block(
            rule.id,
            f"没有 {today.year} 年的法定节假日数据，暂停拨打；{ADD_YEAR_ZH}",
            f"no statutory-holiday calendar for {today.year}: not dialled; {ADD_YEAR_EN}",
            None,
        )
    return Block(
        rule.id,
        f"{today} 是法定节假日，不进行催收",
        f"{today} is a statutory holiday: no collection",
        moment.next_day_start,
    )


_COUNTED = {
    # an in-flight call may still end either way: every cap counts it
    "connected": frozenset({Outcome.CONNECTED, Outcome.IN_FLIGHT}),
    "unanswered": frozenset({Outcome.UNANSWERED, Outcome.IN_FLIGHT}),
    "any": frozenset(Outcome),
}


def _mine(per: Per, facts: Facts) -> list[PastAttempt]:
    """The attempts that count against this number's key."""
    found = facts.by_key.get(per)
    if found is not None:
        return found
    attempts = facts.history.attempts
    if per == "person":
        person = facts.person.person_id
        found = [a for a in attempts if a.person_id == person]
    elif per == "number":
        e164 = facts.number.e164
        found = [a for a in attempts if a.e164 == e164]
    else:
        person, case = facts.person.person_id, facts.case.case_id
        found = [a for a in attempts if a.person_id == person and a.case_id == case]
    facts.by_key[per] = found
    return found


def _cap(rule: CapRule, facts: Facts, moment: Moment, counters: Counters) -> Block | None:
    if not facts.history.attempts:
        counters[rule.id] = 0
        return None
    if rule.period == "calendar_day":
        since = moment.day_start
        until: datetime | None = moment.next_day_start
        label_zh, label_en = "今日", "today"
    else:
        assert rule.rolling_days is not None
        since = moment.at - timedelta(days=rule.rolling_days)
        until = None
        label_zh, label_en = (
            f"近 {rule.rolling_days:g} 天",
            f"in the last {rule.rolling_days:g} days",
        )
    # Attempts stamped after ``now`` count too: dialers' clocks differ, and a cap must hold anyway.
    counted = _COUNTED[rule.outcome]
    times = [
        a.at
        for a in _mine(rule.per, facts)
        if a.at > since and (until is None or a.at < until) and a.outcome in counted
    ]
    counters[rule.id] = len(times)
    if len(times) < rule.max:
        return None
    if until is None:
        # Allowed again once enough of the counted calls have left the rolling window.
        assert rule.rolling_days is not None
        times.sort()
        until = times[len(times) - rule.max] + timedelta(days=rule.rolling_days)
    what = {"connected": "接通", "unanswered": "未接通", "any": ""}[rule.outcome]
    return Block(
        rule.id,
        f"{label_zh}{what}外呼已 {len(times)} 次，上限 {rule.max} 次（按{_per_zh(rule.per)}）",
        f"{len(times)} {rule.outcome} outbound call(s) {label_en}, cap {rule.max} per {rule.per}",
        until,
    )


def _per_zh(per: Per) -> str:
    return {"person": "人", "number": "号码", "person_case": "人/案件"}[per]


def _last(facts: Facts, per: Per, only_connected: bool) -> datetime | None:
    if not facts.history.attempts:
        return None
    times = [
        a.at for a in _mine(per, facts) if not (only_connected and a.outcome == Outcome.UNANSWERED)
    ]
    return max(times, default=None)


def _until_spaced(
    rule_id: str, last: datetime | None, span: timedelta, moment: Moment, *, zh: str, en: str
) -> Block | None:
    """Blocked until ``span`` after ``last`` (no earlier call: allowed)."""
    if last is None or moment.at >= last + span:
        return None
    return Block(rule_id, zh, en, last + span)


def _min_interval(
    rule: MinIntervalRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    last = _last(facts, rule.per, only_connected=False)
    if rule.working_days is not None:
        return _working_days_since(rule, rule.working_days, last, facts, moment)
    assert rule.hours is not None
    return _until_spaced(
        rule.id,
        last,
        timedelta(hours=rule.hours),
        moment,
        zh=f"距上次外呼不足 {rule.hours / 24:g} 天",
        en=f"less than {rule.hours:g} h since the last call to this {rule.per}",
    )


def _working_days_since(
    rule: MinIntervalRule, n: int, last: datetime | None, facts: Facts, moment: Moment
) -> Block | None:
    """Allowed from local midnight of the ``n``-th working day after the last call's local
    day. A year no calendar knows, met before that day, blocks with no next instant."""
    if last is None:
        return None
    last_day = last.astimezone(moment.zone).date()
    reached = working_days_later(last_day, n, facts.profile.calendar)
    who_zh, who_en = _per_zh(rule.per), rule.per
    if reached.day is None:
        year = reached.unknown.year if reached.unknown else last_day.year
        return Block(
            rule.id,
            f"上次外呼在 {last_day}，需间隔 {n} 个工作日，但没有 {year} 年的工作日数据，"
            f"暂停拨打；{ADD_YEAR_ZH}",
            f"last call on {last_day} and {n} working days must pass, but there is no "
            f"working-day calendar for {year}: not dialled; {ADD_YEAR_EN}",
            None,
        )
    opens = datetime.combine(reached.day, time(0), tzinfo=moment.zone)
    if moment.at >= opens:
        return None
    return Block(
        rule.id,
        f"距上次外呼（{last_day}）不足 {n} 个工作日（按{who_zh}），{reached.day} 起可再拨",
        f"fewer than {n} working days since the last call to this {who_en} ({last_day}): "
        f"allowed from {reached.day}",
        opens.astimezone(UTC),
    )


def _quiet(
    rule: QuietAfterConversationRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    return _until_spaced(
        rule.id,
        _last(facts, rule.per, only_connected=True),
        timedelta(days=rule.days),
        moment,
        zh=f"上次通话后 {rule.days:g} 天内不得再次拨打",
        en=f"within {rule.days:g} days after a conversation about this debt",
    )


def _dnc(rule: DoNotCallRule, facts: Facts, moment: Moment, counters: Counters) -> Block | None:
    if not facts.number.do_not_call:
        return None
    return Block(rule.id, "该号码在禁止拨打名单中", "the number is on the do-not-call list", None)


def _hold(rule: HoldRule, facts: Facts, moment: Moment, counters: Counters) -> Block | None:
    reason = facts.case.hold_reason
    if reason is None:
        return None
    return Block(
        rule.id,
        f"案件已停催（{HOLD_REASON_ZH.get(reason, reason)}），待主管解除",
        f"collection on this case is on hold ({reason}) until a supervisor clears it",
        None,
    )


def _case_status(
    rule: CaseStatusRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    status = facts.case.status
    if status not in rule.blocked:
        return None
    return Block(
        rule.id,
        f"案件状态为{STATUS_ZH.get(status, status)}，停止催收",
        f"case status {status}: no collection",
        None,
    )


def _contact_type(
    rule: ContactTypeRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    kind = facts.person.contact_type
    if kind in rule.allowed:
        return None
    return Block(
        rule.id, f"联系人类型 {kind} 不允许拨打", f"contact type {kind} may not be called", None
    )


def _number_state(
    rule: NumberStateRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    state = facts.number.state
    if state not in rule.blocked:
        return None
    return Block(rule.id, f"号码状态为 {state}", f"number state {state}", None)


def _one_call_at_a_time(
    rule: OneCallAtATimeRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    until = facts.history.line_busy_until
    if until is None or moment.at >= until:
        return None
    return Block(
        rule.id,
        "对方正在通话中（其他坐席的外呼或客户来电），通话结束后再拨",
        "the person is in a call now (another agent's call or their own call in): "
        "dial after it ends",
        until,
    )


Check = Callable[[Any, Facts, Moment, Counters], Block | None]

CHECKS: dict[str, Check] = {
    "window": _window,
    "statutory_holidays": _holiday,
    "cap": _cap,
    "min_interval": _min_interval,
    "quiet_after_conversation": _quiet,
    "do_not_call": _dnc,
    "hold": _hold,
    "case_status": _case_status,
    "contact_type": _contact_type,
    "number_state": _number_state,
    "one_call_at_a_time": _one_call_at_a_time,
}

MOMENT_ONLY = frozenset({"window", "statutory_holidays"})
"""Kinds whose answer depends only on the instant: computed once per moment, shared."""


def applies(rule: RuleSpec, facts: Facts) -> bool:
    if rule.client_banks and facts.case.client_bank not in rule.client_banks:
        return False
    return not rule.contact_types or facts.person.contact_type in rule.contact_types
