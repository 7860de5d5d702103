"""The two roads from rows to the policy's facts decide alike, on SQLite and PostgreSQL.

The worklist (:func:`dialer.worklist_source.build_worklists`, the whole book in bulk) and
the reservation (:func:`store.reservation.reserve_attempt` with
:class:`dialer.gate.PolicyJudge`, one number under locks) must reach the same decision for
every (case, number) at any instant: dialable or not, the blocking rule, its reason and
when next. Each reservation runs with a judge that raises once it has decided, so its
transaction rolls back and no check changes the next one. The comparison is shown to
have teeth by dropping one fact from one road and watching it report the difference.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Select, and_, false

import store.reservation
from compliance.policy import Decision, Profile, load_profile
from dialer import worklist_source
from dialer.gate import PolicyJudge
from dialer.scheduler import RETRY_RULE
from dialer.worklist_source import build_worklists
from store.db import SessionFactory
from store.debtor_facts import NO_ROWS
from store.dial_filters import calls_up, consents_in_force, counted_attempts
from store.enums import AttemptStatus, Direction, HoldReason
from store.models import CallAttempt, CaseContact, Hold
from store.reservation import DialContext, reserve_attempt
from tests.dbdata import debtor_targets, load_sample
from tests.factsbook import BASE_DAY, GateCases, Pair, build_book, local, pairs

Key = tuple[int, int]
"""(case id, phone number id)"""
Decided = tuple[bool, str | None, str | None, datetime | None]
"""(allowed, rule, reason, next allowed at); an allowed number has no rule, reason or next."""
ALLOWED: Decided = (True, None, None, None)

CN_DEFAULT = load_profile("cn-default")
US_REGF = load_profile("us-regf")
CONSENTING = load_profile(Path(__file__).parent / "fixtures" / "policy" / "cn-consenting.toml")
"""A company window and per-person cap a debtor's consent relaxes (issue 19)."""
AT_2130 = (CONSENTING, local(BASE_DAY, 21, 30))
INSTANTS = [
    (CN_DEFAULT, local(BASE_DAY, 9, 30)),  # in the window, after the morning's calls
    (CN_DEFAULT, local(BASE_DAY, 13, 0)),  # the next retry slot
    (CN_DEFAULT, local(BASE_DAY, 21, 0)),  # outside the window
    (CN_DEFAULT, local(BASE_DAY + timedelta(days=1), 10)),  # National Day
    (US_REGF, local(BASE_DAY, 9, 30)),  # the callee's clock, caps per person and debt
    AT_2130,  # the debtors' window consents
    (CONSENTING, local(BASE_DAY, 9, 30)),  # the debtors' consents to more calls
]


def worklist_decisions(
    sessions: SessionFactory, profile: Profile, now: datetime
) -> list[tuple[Key, Decided]]:
    """Every number the worklists list at ``now``, with their decision. A number waiting
    for the next retry slot is one the policy allows: the slot is the scheduler's rule."""
    with sessions() as session:
        schedule = build_worklists(session, profile, now, ["A01"])
    found: list[tuple[Key, Decided]] = []
    for work in schedule.dialable:
        found.append(((work.entry.case.facts.case_id, work.entry.phone_number_id), ALLOWED))
    for blocked in schedule.blocked:
        key = (blocked.entry.case.facts.case_id, blocked.entry.phone_number_id)
        if blocked.rule == RETRY_RULE:
            found.append((key, ALLOWED))
        else:
            found.append((key, (False, blocked.rule, blocked.reason, blocked.next_allowed_at)))
    return found


class _Decided(Exception):
    """Raised by the judge once it has decided: the reservation's transaction rolls back."""

    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.rule_id)
        self.decision = decision


def dial_verdicts(
    sessions: SessionFactory, profile: Profile, now: datetime, book: list[Pair]
) -> dict[Key, Decision]:
    """What ``reserve_attempt`` decides for each pair at ``now``, leaving no attempt behind."""
    judge = PolicyJudge(profile)

    def deciding(context: DialContext, at: datetime) -> Decision:
        raise _Decided(judge(context, at))

    found: dict[Key, Decision] = {}
    for pair in book:
        with pytest.raises(_Decided) as decided:
            reserve_attempt(
                sessions, pair.phone_number_id, pair.case_id, now, deciding, lookback=judge.lookback
            )
        found[pair.case_id, pair.phone_number_id] = decided.value.decision
    return found


def as_decided(d: Decision) -> Decided:
    return ALLOWED if d.allowed else (False, d.rule_id, d.reason_en, d.next_allowed_at)


def dial_decisions(
    sessions: SessionFactory, profile: Profile, now: datetime, book: list[Pair]
) -> dict[Key, Decided]:
    """:func:`dial_verdicts` as the worklists can tell them."""
    return {key: as_decided(d) for key, d in dial_verdicts(sessions, profile, now, book).items()}


def mismatches(worklist: list[tuple[Key, Decided]], dial: dict[Key, Decided]) -> list[str]:
    """Every way the worklist's decisions differ from the reservation's, one line each."""
    problems: list[str] = []
    listed: dict[Key, Decided] = {}
    for key, decided in worklist:
        if key in listed:
            problems.append(f"{key}: listed twice by the worklists")
        listed[key] = decided
    for key, decided in dial.items():
        if key not in listed:
            problems.append(f"{key}: not in the worklists; at dial time {decided}")
        elif listed[key] != decided:
            problems.append(f"{key}: worklist {listed[key]} != dial time {decided}")
    return problems


@pytest.fixture
def gate_cases(sessions: SessionFactory, tmp_path: Path) -> GateCases:
    return build_book(sessions, tmp_path)


@pytest.fixture
def book(sessions: SessionFactory, gate_cases: GateCases) -> list[Pair]:
    return pairs(sessions)


def test_worklists_and_reservations_decide_every_number_alike(
    sessions: SessionFactory, book: list[Pair], gate_cases: GateCases
) -> None:
    rules: set[str | None] = set()
    relaxed: set[str] = set()
    for profile, now in INSTANTS:
        worklist = worklist_decisions(sessions, profile, now)
        verdicts = dial_verdicts(sessions, profile, now, book)
        dial = {key: as_decided(d) for key, d in verdicts.items()}
        assert mismatches(worklist, dial) == [], (profile.id, now)
        assert {key for key, _ in worklist} == set(dial)  # every number, no more
        rules.update(d[1] for d in dial.values())
        relaxed.update(g.rule_id for d in verdicts.values() for g in d.grounds if g.consent_id)
    with sessions() as session:  # nothing was reserved
        assert session.query(CallAttempt).filter(CallAttempt.ruleset_version != "test").count() == 0
    # the book reaches every kind of fact the rules read
    assert {
        None,
        "company.window",
        "law.statutory_holidays",
        "company.cap.connected",
        "company.cap.unanswered",
        "company.third_party.interval",
        "law.hold",
        "law.do_not_call",
        "law.case_status",
        "company.case_status",
        "company.number_state",
        "regf.seven_in_seven",
        "cba.third_party_gate",
        "law.one_call_at_a_time",
    } <= rules, rules
    # consents reach both roads: the window at 21:30, the caps hit in the morning
    assert relaxed == {"company.window", "company.cap.unanswered", "cba.cap.unanswered_per_number"}
    # the gate's three cases: closed before the debtor's third failure in a row, open after
    # it and for a debtor with no number left to call (the worklists agree, checked above)
    gate = gate_verdicts(sessions, gate_cases)
    assert gate["two_failed"].rule_id == "cba.third_party_gate"
    assert gate["two_failed"].reason_en.startswith("debtor answered 2026-09-29 09:00")
    assert [g.rule_id for g in gate["three_failed"].grounds] == ["cba.third_party_gate"]
    assert "last 3 calls all failed" in gate["three_failed"].reason_en
    assert gate["three_failed"].allowed
    assert "every debtor number is unreachable" in gate["unreachable"].reason_en
    assert gate["unreachable"].allowed


def gate_verdicts(sessions: SessionFactory, cases: GateCases) -> dict[str, Decision]:
    """The dial-time decision (with its reason when allowed) for each of the gate's cases."""
    profile, now = INSTANTS[0]
    named = {field.name: getattr(cases, field.name) for field in dataclasses.fields(cases)}
    verdicts = dial_verdicts(sessions, profile, now, list(named.values()))
    return {name: verdicts[pair.case_id, pair.phone_number_id] for name, pair in named.items()}


def _without_direction(since: datetime | None) -> ColumnElement[bool]:
    counted = CallAttempt.status != AttemptStatus.BLOCKED
    return counted if since is None else and_(counted, CallAttempt.reserved_at > since)


def _without_unanswered(since: datetime | None) -> ColumnElement[bool]:
    return and_(counted_attempts(since), CallAttempt.status != AttemptStatus.NO_ANSWER)


def _dial_context_without(**dropped: Any) -> Callable[..., DialContext]:
    load = store.reservation._load_context

    def loading(*args: Any, **kwargs: Any) -> DialContext:
        return dataclasses.replace(load(*args, **kwargs), **dropped)

    return loading


def _no_call_up(now: datetime) -> ColumnElement[bool]:
    return and_(calls_up(now), CallAttempt.direction == Direction.OUTBOUND)


def _no_consents(now: datetime) -> Select[Any]:
    return consents_in_force(now).where(false())


WORKLIST_DROPS = {
    # a callee's own call, still up, forgotten
    "inbound call up lost": ("calls_up", _no_call_up),
    # a callee's own calls counted as outbound attempts
    "inbound counted": ("counted_attempts", _without_direction),
    # one kind of history row (unanswered) lost
    "unanswered attempts lost": ("counted_attempts", _without_unanswered),
    # the debtors' consents forgotten (read at 21:30 under a relaxing profile)
    "consents lost": ("consents_in_force", _no_consents),
}
DIAL_DROPS = {
    # the contact's relation lost: every contact becomes unknown
    "contact type lost": _dial_context_without(relation=None),
    # the case's hold lost
    "hold lost": _dial_context_without(hold_reason=None),
    # the debtor's reach lost: the third-party gate sees a debtor never called
    "debtor reach lost": _dial_context_without(debtor=NO_ROWS),
    # a call up now forgotten
    "call up lost": _dial_context_without(line_busy_until=None),
    # the debtors' consents forgotten (read at 21:30 under a relaxing profile)
    "consents lost": _dial_context_without(consents=()),
}
CONSENT_DROPS = {"consents lost"}


def test_the_comparison_reports_a_fact_dropped_by_either_road(
    book: list[Pair], sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each drop changes one road only, so the other road's decisions are made once; a
    third of the book is checked at dial time (enough to notice, and a third the time)."""
    unnoticed = []
    for (profile, now), consents in ((INSTANTS[0], False), (AT_2130, True)):
        # the consents' drops where consent matters; the others at the morning's instant
        part = book[::3]
        worklist = worklist_decisions(sessions, profile, now)
        dial = dial_decisions(sessions, profile, now, part)
        assert mismatches(worklist, dial) == []
        for name, (loader, filtered) in WORKLIST_DROPS.items():
            if (name in CONSENT_DROPS) != consents:
                continue
            with monkeypatch.context() as patch:
                patch.setattr(worklist_source, loader, filtered)
                if not mismatches(worklist_decisions(sessions, profile, now), dial):
                    unnoticed.append(f"worklists: {name}")
        for name, loading in DIAL_DROPS.items():
            if (name in CONSENT_DROPS) != consents:
                continue
            with monkeypatch.context() as patch:
                patch.setattr(store.reservation, "_load_context", loading)
                if not mismatches(worklist, dial_decisions(sessions, profile, now, part)):
                    unnoticed.append(f"dial time: {name}")
    assert unnoticed == []


def test_a_debtor_listed_as_their_own_contact_is_listed_once_as_the_debtor(
    sessions: SessionFactory,
) -> None:
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    with sessions.begin() as session:
        session.add(
            CaseContact(case_id=target.case_id, person_id=target.person_id, relation="family")
        )
    worklist = worklist_decisions(sessions, CN_DEFAULT, local(BASE_DAY, 9, 30))
    listed = [key for key, _ in worklist if key == (target.case_id, target.phone_number_id)]
    assert listed == [(target.case_id, target.phone_number_id)]
    with sessions() as session:
        schedule = build_worklists(session, CN_DEFAULT, local(BASE_DAY, 9, 30), ["A01"])
    types = {
        work.entry.person.contact_type
        for work in schedule.dialable
        if work.entry.phone_number_id == target.phone_number_id
    }
    assert types == {"debtor"}


def test_a_case_with_two_open_holds_is_held_for_the_first_placed_on_both_roads(
    sessions: SessionFactory,
) -> None:
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    with sessions.begin() as session:  # the later one written first
        for hour, reason in ((8, HoldReason.COMPLAINT_TENDENCY), (7, HoldReason.MANUAL)):
            placed = local(BASE_DAY, hour)
            session.add(
                Hold(case_id=target.case_id, reason=reason, placed_by="qa", placed_at=placed)
            )
    now = local(BASE_DAY, 9, 30)
    key = (target.case_id, target.phone_number_id)
    worklist = dict(worklist_decisions(sessions, CN_DEFAULT, now))
    dial = dial_decisions(sessions, CN_DEFAULT, now, [Pair(*key, target.person_id, target.e164)])
    assert worklist[key] == dial[key]
    assert dial[key][:2] == (False, "law.hold") and "(manual)" in str(dial[key][2])
