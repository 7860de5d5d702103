"""The campaign against recorded AMI streams (``dialer.testing``), in virtual time, on both
databases: outcomes, a lost link, reconnecting with backoff, and customers calling in while
the campaign dials them. The same logic against the real Asterisk: ``tests/test_campaign.py``."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from dialer.ami import OriginateRequest
from dialer.calls import DialItem
from dialer.campaign import Campaign, CampaignSettings
from dialer.testing import (
    FakeAsterisk,
    OriginateHandler,
    Refused,
    Reply,
    Transcript,
    TranscriptMismatch,
    VirtualTime,
    by_number,
)
from store.agent_pause import pause, resume
from store.db import SessionFactory
from store.enums import AttemptStatus, Direction
from store.models import Agent, CallAttempt
from tests.conftest import FIXTURES
from tests.dbdata import debtor_targets, load_sample
from tests.test_reservation import JUDGE, at

AMI = FIXTURES / "ami"


def recorded(name: str) -> Transcript:
    return Transcript.read(AMI / f"{name}.txt")


ANSWERED, BUSY, NO_ANSWER = recorded("answered"), recorded("busy"), recorded("no-answer")
UNREACHABLE, BLOCKED = recorded("unreachable"), recorded("blocked-on-answer")
INBOUND, INBOUND_CLOSED = recorded("inbound"), recorded("inbound-closed")


@dataclasses.dataclass
class Sim:
    time: VirtualTime
    asterisk: FakeAsterisk
    campaign: Campaign
    sessions: SessionFactory

    def run(self) -> None:
        self.campaign.run()

    def attempts(self) -> list[CallAttempt]:
        with self.sessions() as session:
            return list(session.scalars(select(CallAttempt).order_by(CallAttempt.id)))


@pytest.fixture
def book(sessions: SessionFactory) -> list[DialItem]:
    load_sample(sessions)
    with sessions.begin() as session:
        session.add(Agent(code="A01", name="坐席一", sip_endpoint="PJSIP/a01@simnet"))
        session.add(Agent(code="A02", name="坐席二", sip_endpoint="PJSIP/a02@simnet"))
    # one number per debtor: two numbers of one person are never rung at once (a person on
    # the line with one agent is not dialled by another), and these tests dial in parallel
    firsts = {t.person_id: t for t in reversed(debtor_targets(sessions))}
    return [DialItem(t.phone_number_id, t.case_id, t.e164) for t in reversed(firsts.values())]


def simulate(
    sessions: SessionFactory,
    tmp_path: Path,
    handler: OriginateHandler,
    worklists: Mapping[int, list[DialItem]],
    *,
    start_at: datetime | None = None,
    agents: int = 2,
    **settings: Any,
) -> Sim:
    time = VirtualTime(limit_s=900)
    asterisk = FakeAsterisk(time, handler, recordings=tmp_path)
    began = start_at or at(10)

    def clock() -> datetime:  # the policy's clock follows the virtual one
        return began + timedelta(seconds=time.now)

    options = CampaignSettings(
        recordings_inside="/spool/monitor",
        recordings_host=tmp_path,
        ring_timeout_s=5,
        run_for_s=120,
    )
    campaign = Campaign(
        sessions,
        JUDGE,
        asterisk.connect,
        dict(worklists),
        {1: "PJSIP/a01@simnet", 2: "PJSIP/a02@simnet"} if agents == 2 else {1: "PJSIP/a01@simnet"},
        clock,
        dataclasses.replace(options, **settings),
        timer=time,
    )
    asterisk.agi["gate"] = campaign.gate()
    asterisk.agi["inbound"] = campaign.inbound()
    return Sim(time, asterisk, campaign, sessions)


def by_item(replies: Mapping[str, Reply]) -> Callable[[OriginateRequest], Reply]:
    def handler(request: OriginateRequest) -> Reply:
        return replies[request.variables["CW_NUMBER"]]

    return handler


def in_flight(sim: Sim) -> list[CallAttempt]:
    return [a for a in sim.attempts() if a.ended_at is None]


# ── outcomes ────────────────────────────────────────────────────────────────
def test_each_recorded_outcome_ends_its_attempt(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    plan = book[:4]
    replies = dict(
        zip([i.e164 for i in plan], [ANSWERED, BUSY, NO_ANSWER, UNREACHABLE], strict=True)
    )
    sim = simulate(sessions, tmp_path, by_item(replies), {1: plan[0::2], 2: plan[1::2]})
    handed: list[int] = []
    sim.campaign.on_recording = lambda attempt, path: handed.append(attempt)
    sim.run()

    rows = {a.e164: a for a in sim.attempts()}
    got = [(rows[i.e164].status, rows[i.e164].hangup_cause) for i in plan]
    assert got == [
        (AttemptStatus.ANSWERED, "normal clearing (cause 16)"),
        # Reason 0 came 5 ms before the Hangup that says why: busy, not "failed"
        (AttemptStatus.BUSY, "user busy (cause 17)"),
        (AttemptStatus.NO_ANSWER, "no answer (reason 3)"),
        (AttemptStatus.FAILED, "unallocated (unassigned) number (cause 1)"),
    ]
    assert all(a.originated_at is not None and a.ended_at is not None for a in rows.values())
    assert sim.campaign.summary.outcomes == {"answered": 1, "busy": 1, "no_answer": 1, "failed": 1}
    assert handed == [rows[plan[0].e164].id] and sim.campaign.busy == set()
    # the campaign's own ids went on the wire, and the gate was asked from the dialled channel
    assert [a["ActionID"] for a in sim.asterisk.actions] == [f"cw-{a.id}" for a in sim.attempts()]
    gate = sim.asterisk.channels[0]
    assert gate.request.env["agi_uniqueid"] == f"cw-attempt-{rows[plan[0].e164].id}"
    assert gate.variables["CW_DECISION"] == "allow"


def test_an_answer_after_the_window_closed_is_blocked_by_the_gate(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    # reserved at 19:59:58, answered (as recorded) 2 s later: after 20:00
    start = at(19, 59) + timedelta(seconds=58)
    sim = simulate(sessions, tmp_path, lambda r: BLOCKED, {1: book[:2]}, start_at=start)
    sim.run()
    first, second = sim.attempts()
    assert first.status == AttemptStatus.BLOCKED and first.originated_at is not None
    assert second.status == AttemptStatus.BLOCKED and second.rule_id == "company.window"
    assert sim.campaign.summary.blocked_on_answer == 1 and sim.campaign.summary.recordings == []


def test_a_recording_whose_decision_the_code_does_not_make_fails_loudly(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    # answered at 20:00:00.1: the gate blocks what was recorded allowed
    start = at(19, 59) + timedelta(seconds=59.5)
    sim = simulate(sessions, tmp_path, lambda r: ANSWERED, {1: book[:1]}, start_at=start)
    with pytest.raises(TranscriptMismatch, match="said 'allow', this one 'blocked'"):
        sim.run()


# ── the link ────────────────────────────────────────────────────────────────
def test_asterisk_crashing_mid_call_ends_what_it_carried_and_the_rest_is_dialled_once(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    plan = book[:3]
    sim = simulate(sessions, tmp_path, lambda r: ANSWERED, {1: plan})
    sim.time.at(10.0, sim.asterisk.crash)  # mid-call: the first call talks for 33 s
    sim.time.at(11.5, sim.asterisk.restart)
    sim.run()

    first, *rest = sim.attempts()
    assert (first.status, first.hangup_cause) == (AttemptStatus.ANSWERED, "AMI link lost")
    assert [a.e164 for a in sim.attempts()] == [i.e164 for i in plan]  # none twice
    assert all(a.status == AttemptStatus.ANSWERED and a.hangup_cause for a in rest)
    assert in_flight(sim) == [] and sim.campaign.busy == set()
    assert sim.campaign.summary.ami_failures == 1
    assert sim.campaign.summary.outcomes == {"lost": 1, "answered": 2}
    refused = [t for t, ok in sim.asterisk.connects if not ok]
    assert refused and all(10.0 <= t < 11.5 for t in refused)


def test_a_broken_link_while_asterisk_lives_on_ends_each_call_once(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    plan = book[:2]
    sim = simulate(sessions, tmp_path, lambda r: ANSWERED, {1: plan[:1], 2: plan[1:]})
    sim.time.at(5.0, sim.asterisk.drop_link)
    sim.run()  # the calls' Hangups still come, over the new login, and are ignored

    assert [(a.status, a.hangup_cause) for a in sim.attempts()] == [
        (AttemptStatus.ANSWERED, "AMI link lost")
    ] * 2
    assert [ok for _, ok in sim.asterisk.connects] == [True, True]
    assert sim.campaign.summary.outcomes == {"lost": 2} and sim.campaign.busy == set()


def test_while_asterisk_is_down_logins_back_off_and_nothing_is_reserved(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    sim = simulate(sessions, tmp_path, lambda r: BUSY, {1: book[:1]}, run_for_s=300)
    sim.asterisk.up = False
    reserved_while_down: list[int] = []
    sim.time.at(100.0, lambda: reserved_while_down.append(len(sim.attempts())))
    sim.time.at(100.0, sim.asterisk.restart)
    sim.run()

    tries = [t for t, _ in sim.asterisk.connects]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    # doubling, capped at 30 s (to the loop's 10 ms tick); the last one got in
    assert gaps == pytest.approx([0.5, 1, 2, 4, 8, 16, 30, 30, 30], abs=0.03)
    assert [ok for _, ok in sim.asterisk.connects] == [False] * 9 + [True]
    assert reserved_while_down == [0]
    assert [a.status for a in sim.attempts()] == [AttemptStatus.BUSY]
    # the loop slept between its turns the whole time: no busy loop
    assert min(sim.time.sleeps) > 0 and len(sim.time.sleeps) < 2 * sim.time.now / 0.01


def test_backoff_starts_again_from_half_a_second_after_a_good_login(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    sim = simulate(sessions, tmp_path, lambda r: ANSWERED, {1: book[:2]})
    sim.asterisk.up = False
    sim.time.at(3.0, sim.asterisk.restart)  # refused at 0, 0.5, 1.5; in at 3.5
    sim.time.at(20.0, sim.asterisk.crash)
    sim.time.at(21.0, sim.asterisk.restart)
    sim.run()
    tries = [t for t, _ in sim.asterisk.connects]
    oks = [ok for _, ok in sim.asterisk.connects]
    # refused at 0, 0.5, 1.5; in at 3.5; lost at 20: at once, then 0.5 s and 1 s later
    assert tries == pytest.approx([0, 0.5, 1.5, 3.5, 20, 20.5, 21.5], abs=0.03)
    assert oks == [False, False, False, True, False, False, True]


def test_a_refused_originate_releases_its_reservation_and_the_number_is_tried_again(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    answers: Iterator[Reply] = iter([Refused("Originate failed"), BUSY])
    sim = simulate(sessions, tmp_path, lambda r: next(answers), {1: book[:1]})
    sim.run()
    released, dialled = sim.attempts()
    assert released.status == AttemptStatus.BLOCKED and released.originated_at is None
    assert (
        released.decision_reason == "released: AMI unavailable: originate refused: Originate failed"
    )
    assert dialled.status == AttemptStatus.BUSY and dialled.e164 == released.e164
    assert sim.campaign.summary.ami_failures == 1


# ── customers calling in ────────────────────────────────────────────────────
def test_a_customer_calling_while_being_dialled_gets_the_other_agent(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    target = book[0]
    sim = simulate(
        sessions, tmp_path, lambda r: BUSY, {1: [target], 2: []}, keep_open=True, run_for_s=30
    )

    def dialled(request: OriginateRequest) -> Reply:
        sim.asterisk.call_in(INBOUND, caller=target.e164)  # their call crosses ours
        return BUSY  # and so their line is busy to us

    sim.asterisk.handler = dialled
    sim.run()
    outbound, inbound = sim.attempts()
    assert (outbound.direction, outbound.status, outbound.agent_id) == (
        Direction.OUTBOUND,
        AttemptStatus.BUSY,
        1,
    )
    assert (inbound.direction, inbound.e164, inbound.agent_id) == (
        Direction.INBOUND,
        target.e164,
        2,
    )
    assert inbound.ended_at is not None and sim.campaign.summary.inbound == 1
    assert sim.campaign.busy == set() and sim.campaign.inbound_calls == {}


def test_a_customer_calling_while_every_agent_dials_is_told_goodbye(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    caller = book[3]
    sim = simulate(sessions, tmp_path, lambda r: ANSWERED, {1: book[:1], 2: book[1:2]})
    sim.asterisk.call_in(INBOUND_CLOSED, caller=caller.e164, after_s=2.0)
    sim.run()
    assert [a.direction for a in sim.attempts()] == [Direction.OUTBOUND] * 2
    said = sim.asterisk.channels[-1]
    assert said.request.env["agi_callerid"] == caller.e164 and said.variables["CW_AGENT"] == ""
    assert sim.campaign.summary.inbound == 0 and sim.campaign.busy == set()


def test_an_agent_taken_by_a_customer_calling_dials_only_after_that_call(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    caller, next_up = book[0], book[1]
    originated_at: list[float] = []

    def handler(request: OriginateRequest) -> Reply:
        originated_at.append(sim.time.now)
        return BUSY

    sim = simulate(sessions, tmp_path, handler, {1: []}, agents=1, keep_open=True, run_for_s=10)
    sim.asterisk.call_in(INBOUND, caller=caller.e164)
    sim.time.at(0.5, lambda: sim.campaign.worklists[1].append(next_up))  # mid-call
    sim.run()
    inbound, outbound = sim.attempts()
    assert (inbound.direction, inbound.agent_id) == (Direction.INBOUND, 1)
    assert (outbound.e164, outbound.agent_id) == (next_up.e164, 1)
    assert originated_at == [pytest.approx(INBOUND.steps[-1].at_s, abs=0.02)]


def test_a_number_on_the_line_with_one_agent_is_not_dialled_by_another(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    caller = book[0]
    sim = simulate(sessions, tmp_path, lambda r: BUSY, {1: [], 2: []}, keep_open=True, run_for_s=5)
    sim.asterisk.call_in(INBOUND, caller=caller.e164)  # agent 1 takes it, for 1.6 s
    sim.time.at(0.5, lambda: sim.campaign.worklists[2].append(caller))  # agent 2's next
    sim.run()
    inbound, *outbound = sim.attempts()
    assert inbound.direction == Direction.INBOUND and inbound.ended_at is not None
    during = [a for a in outbound if a.reserved_at < inbound.ended_at]
    # agent 2 reached the number while agent 1 was talking on it: the reservation said no
    assert [(a.status, a.rule_id) for a in during] == [
        (AttemptStatus.BLOCKED, "law.one_call_at_a_time")
    ]


# ── a paused agent (暂停) ────────────────────────────────────────────────────
def test_a_paused_agent_gets_no_call_until_they_resume(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    with sessions.begin() as session:
        a01 = session.get_one(Agent, 1)
        pause(session, a01, "meal", "agent1", at(10))
    resumed: list[float] = []

    def handler(request: OriginateRequest) -> Reply:
        if not resumed:  # A02's first call: A01 comes back from lunch meanwhile
            with sessions.begin() as session:
                resume(session, session.get_one(Agent, 1), "agent1", at(10))
            resumed.append(sim.time.now)
        return ANSWERED

    sim = simulate(sessions, tmp_path, handler, {1: book[:2], 2: book[2:3]})
    sim.run()
    mine = [(a.agent_id, a.reserved_at) for a in sim.attempts()]
    assert next(agent for agent, _ in mine) == 2  # nothing for A01 while paused
    assert sorted(agent for agent, _ in mine) == [1, 1, 2]  # then A01's calls, once back
    first_of_a01 = min(when for agent, when in mine if agent == 1)
    assert first_of_a01 >= at(10) + timedelta(seconds=resumed[0])


def test_the_callee_ringing_is_recorded_once_and_a_failed_call_never_rang(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    """Asterisk's Newstate Ringing on our dialled channel is when the wallboard's 拨号中
    (dialling) becomes 振铃 (ringing)."""
    plan = book[:2]
    replies = dict(zip([i.e164 for i in plan], [ANSWERED, UNREACHABLE], strict=True))
    sim = simulate(sessions, tmp_path, by_item(replies), {1: plan[:1], 2: plan[1:]})
    sim.run()
    rows = {a.e164: a for a in sim.attempts()}
    answered, failed = rows[plan[0].e164], rows[plan[1].e164]
    assert answered.ringing_at is not None and answered.originated_at is not None
    assert answered.originated_at <= answered.ringing_at <= answered.answered_at
    assert failed.ringing_at is None


def test_a_customer_calling_back_is_not_put_through_to_a_paused_agent(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    caller = book[0]
    with sessions.begin() as session:  # A01 is at lunch; A02 is free
        pause(session, session.get_one(Agent, 1), "meal", "agent1", at(10))
    sim = simulate(sessions, tmp_path, lambda r: BUSY, {1: [], 2: []}, keep_open=True, run_for_s=5)
    sim.asterisk.call_in(INBOUND, caller=caller.e164, after_s=1.5)
    sim.run()
    [inbound] = sim.attempts()
    assert (inbound.direction, inbound.agent_id) == (Direction.INBOUND, 2)


# ── a case reached ──────────────────────────────────────────────────────────
def test_a_case_reached_is_not_dialled_again_on_its_other_numbers(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    # The worklist lists a case's numbers in calling order (mobile, home, work): the next is
    # for when the one before is not answered. The demo rang a debtor on all three within
    # seconds of speaking to them.
    load_sample(sessions)
    with sessions.begin() as session:
        session.add(Agent(code="A01", name="坐席一", sip_endpoint="PJSIP/a01@simnet"))
    by_case: dict[int, list[DialItem]] = {}
    for t in debtor_targets(sessions):
        by_case.setdefault(t.case_id, []).append(DialItem(t.phone_number_id, t.case_id, t.e164))
    reached, unanswered, other = [items for items in by_case.values() if len(items) >= 2][:3]
    plan = [*reached[:2], *unanswered[:2], other[0]]
    replies = {reached[0].e164: ANSWERED, unanswered[0].e164: NO_ANSWER}
    sim = simulate(sessions, tmp_path, by_number(replies, ANSWERED), {1: plan}, agents=1)
    sim.run()
    dialled = [a.e164 for a in sim.attempts()]
    # the unanswered case goes on to its next number; the reached one does not
    assert dialled == [reached[0].e164, unanswered[0].e164, unanswered[1].e164, other[0].e164]


def test_a_campaign_interrupted_mid_call_ends_the_calls_it_followed(
    sessions: SessionFactory, tmp_path: Path, book: list[DialItem]
) -> None:
    # Ctrl-C (or the demo's SIGTERM) while two calls talk: no attempt stays open for ever,
    # holding its person "in a call" (law.one_call_at_a_time) and its agent "on the line".
    sim = simulate(sessions, tmp_path, lambda r: ANSWERED, {1: book[:2], 2: book[2:4]})

    def interrupt() -> None:
        raise KeyboardInterrupt

    sim.time.at(10.0, interrupt)  # both first calls talk for 33 s
    with pytest.raises(KeyboardInterrupt):
        sim.run()
    attempts = sim.attempts()
    assert len(attempts) == 2
    assert all(a.ended_at is not None for a in attempts), [(a.id, a.status) for a in attempts]
    assert {a.hangup_cause for a in attempts} == {"campaign interrupted"}
    assert sim.campaign.busy == set()
