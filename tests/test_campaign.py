"""The campaign loop against the real embedded Asterisk and the simulated phone network:
reservations, outcomes from AMI, the gate's re-check on answer, stereo recordings handed over."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from compliance.policy import load_profile
from dialer.ami import OriginateRequest, PystAmi
from dialer.calls import DialItem
from dialer.campaign import Campaign, CampaignSettings
from dialer.gate import PolicyJudge
from dialer.sandbox import (
    Sandbox,
    default_cache,
    ensure_root,
    instance_name,
    new_sandbox,
    start,
    status,
    stop,
)
from dialer.sandbox.phones import Scenario, split_labelled_call, start_phones
from recorder.audio import read_recording
from store.attempts import mark_ended
from store.db import SessionFactory
from store.enums import AttemptStatus
from store.models import Agent, CallAttempt
from store.reservation import reserve_attempt
from tests.conftest import FIXTURES
from tests.dbdata import debtor_targets, load_sample
from tests.test_reservation import at
from tests.test_sandbox import AgiThread

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]
CALLS = FIXTURES / "calls"
JUDGE = PolicyJudge(load_profile("cn-default"))
PLAN = ["cw01", "busy", "cw07", "no_answer", "cw34", "unreachable"]


@dataclasses.dataclass
class Network:
    core: Sandbox
    phones: Sandbox
    gate: AgiThread
    items: list[DialItem]


@pytest.fixture
def network(sessions: SessionFactory, tmp_path: Path) -> Iterator[Network]:
    load_sample(sessions)
    # one number per debtor: the campaign rings two at once, and a person in a call with
    # one agent is not rung by another (law.one_call_at_a_time)
    firsts = {t.person_id: t for t in reversed(debtor_targets(sessions))}
    targets = list(reversed(firsts.values()))[: len(PLAN) + 2]
    scenarios: dict[str, Scenario] = {}
    for target, plan in zip(targets, [*PLAN, "cw18", "cw19"], strict=True):
        if plan.startswith("cw"):
            label = json.loads((CALLS / f"{plan}.json").read_text(encoding="utf-8"))
            agent, callee = split_labelled_call(
                CALLS / f"{plan}.wav", label["agent_channel"], tmp_path
            )
            rings = 0.5 if plan in PLAN else 2.0  # the late calls ring past 20:00
            scenarios[target.e164] = Scenario("answer", callee, agent, rings_s=rings)
        else:
            scenarios[target.e164] = Scenario(plan)
    with sessions.begin() as session:
        session.add(Agent(code="A01", name="坐席一", sip_endpoint="PJSIP/a01@simnet"))
        session.add(Agent(code="A02", name="坐席二", sip_endpoint="PJSIP/a02@simnet"))
    items = [DialItem(t.phone_number_id, t.case_id, t.e164) for t in targets]
    with contextlib.ExitStack() as cleanup:  # whatever fails, what started is stopped
        gate = AgiThread()
        cleanup.callback(gate.close)
        core = new_sandbox(ensure_root(default_cache()), instance_name("k", tmp_path), gate.port)
        running = start(core, tmp_path / "core.json")
        # by name, not pid: this also stops an instance a test restarted
        cleanup.callback(stop, running, tmp_path / "core.json")
        phones = start_phones(running, scenarios, tmp_path / "phones.json")
        cleanup.callback(stop, phones, tmp_path / "phones.json")
        yield Network(running, phones, gate, items)


def campaign(
    sessions: SessionFactory,
    core: Sandbox,
    gate: AgiThread,
    worklists: dict[int, list[DialItem]],
    start_at: datetime,
) -> Campaign:
    began = time.monotonic()

    def clock() -> datetime:  # the policy's clock: a chosen instant, then real time
        return start_at + timedelta(seconds=time.monotonic() - began)

    settings = CampaignSettings(
        recordings_inside=core.recordings_inside,
        recordings_host=core.recordings,
        ring_timeout_s=5,
        run_for_s=90,
    )
    with sessions() as session:
        dial = {a.id: a.sip_endpoint for a in session.scalars(select(Agent))}
    result = Campaign(
        sessions,
        JUDGE,
        lambda: PystAmi("127.0.0.1", core.ami_port, core.ami_user, core.ami_secret),
        worklists,
        dial,
        clock,
        settings,
    )
    gate.server.handlers["gate"] = result.gate()
    return result


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_progressive_campaign_over_real_sip(sessions: SessionFactory, network: Network) -> None:
    core, gate, items = network.core, network.gate, network.items
    plan = items[: len(PLAN)]
    run = campaign(sessions, core, gate, {1: plan[0::2], 2: plan[1::2]}, at(10))
    summary = run.run()
    with sessions() as session:
        attempts = {
            a.e164: a for a in session.scalars(select(CallAttempt).order_by(CallAttempt.id))
        }
    expected = {
        "cw01": AttemptStatus.ANSWERED,
        "busy": AttemptStatus.BUSY,
        "cw07": AttemptStatus.ANSWERED,
        "no_answer": AttemptStatus.NO_ANSWER,
        "cw34": AttemptStatus.ANSWERED,
        "unreachable": AttemptStatus.FAILED,
    }
    for item, name in zip(plan, PLAN, strict=True):
        attempt = attempts[item.e164]
        assert attempt.status == expected[name], (name, attempt.hangup_cause)
        assert attempt.originated_at is not None and attempt.ended_at is not None
        # Asterisk's Newstate Ringing: every callee that answered, or let it ring, rang first
        if name in {"cw01", "cw07", "cw34", "no_answer"}:
            assert attempt.ringing_at is not None, name
            assert attempt.originated_at <= attempt.ringing_at, name
        if name == "unreachable":
            assert attempt.ringing_at is None
    assert summary.reserved == 6 and summary.outcomes == {
        "answered": 3,
        "busy": 1,
        "no_answer": 1,
        "failed": 1,
    }
    assert len(summary.recordings) == 3
    for _, path in summary.recordings:
        audio = read_recording(path)
        assert len(audio.channels) == 2 and audio.duration > 10
        assert all(float(abs(c.astype(int)).mean()) > 50 for c in audio.channels)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_window_closing_stops_calls_on_time(sessions: SessionFactory, network: Network) -> None:
    core, gate, items = network.core, network.gate, network.items
    late = items[len(PLAN) :]
    # reserved at 19:59:59.5 (allowed), answered two seconds later, after 20:00 (blocked by
    # the gate); the next number is not even reserved
    run = campaign(sessions, core, gate, {1: late}, at(19, 59) + timedelta(seconds=59.5))
    summary = run.run()
    with sessions() as session:
        attempts = session.scalars(select(CallAttempt).order_by(CallAttempt.id)).all()
    assert [a.status for a in attempts] == [AttemptStatus.BLOCKED, AttemptStatus.BLOCKED]
    assert attempts[0].originated_at is not None
    assert attempts[0].decision_reason.startswith("blocked on answer")
    assert attempts[1].originated_at is None and attempts[1].rule_id == "company.window"
    assert summary.blocked_on_answer == 1 and summary.recordings == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_asterisk_killed_and_restarted_mid_campaign_loses_no_attempt(
    sessions: SessionFactory, network: Network, tmp_path: Path
) -> None:
    core, gate, items = network.core, network.gate, network.items
    answering = [item for item, name in zip(items, PLAN, strict=False) if name.startswith("cw")]
    run = campaign(sessions, core, gate, {1: answering}, at(10))
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(run.run()))
    worker.start()

    def statuses() -> list[AttemptStatus]:
        with sessions() as session:
            return list(session.scalars(select(CallAttempt.status).order_by(CallAttempt.id)))

    deadline = time.monotonic() + 30
    while AttemptStatus.ANSWERED not in statuses() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert core.pid is not None
    os.killpg(core.pid, signal.SIGKILL)  # mid-call
    time.sleep(1.5)
    restarted = start(dataclasses.replace(core, pid=None), tmp_path / "core-again.json")
    try:
        worker.join(timeout=120)
        assert not worker.is_alive()
    finally:
        stop(restarted, tmp_path / "core-again.json")
    assert status(core).startswith("stopped")  # the instance, whichever process ran it

    with sessions() as session:
        attempts = session.scalars(select(CallAttempt).order_by(CallAttempt.id)).all()
    assert [
        a.status for a in attempts if a.status in (AttemptStatus.RESERVED, AttemptStatus.ORIGINATED)
    ] == []
    assert attempts[0].hangup_cause == "AMI link lost" and attempts[0].ended_at is not None
    seen = [(a.e164, a.status.value, a.hangup_cause, a.decision_reason) for a in attempts]
    assert len(attempts) == len(answering), seen  # every number dialled once, none twice
    assert all(a.status == AttemptStatus.ANSWERED for a in attempts[1:]), seen


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_customer_calling_back_is_logged_inbound_and_not_counted(
    sessions: SessionFactory, network: Network
) -> None:
    core, gate, items = network.core, network.gate, network.items
    debtor = items[0]
    run = campaign(sessions, core, gate, {1: []}, at(10))
    run.settings = dataclasses.replace(run.settings, keep_open=True, run_for_s=15)
    gate.server.handlers["inbound"] = run.inbound()
    worker = threading.Thread(target=run.run)
    worker.start()
    phones = PystAmi(
        "127.0.0.1", network.phones.ami_port, network.phones.ami_user, network.phones.ami_secret
    )
    try:  # the debtor dials the centre's number from their phone
        phones.originate(
            OriginateRequest(
                channel="PJSIP/95555@core",
                context="phones",
                exten=debtor.e164,
                caller_id=f"<{debtor.e164}>",
            )
        )
    finally:
        phones.close()
    worker.join(timeout=60)
    with sessions() as session:
        attempts = session.scalars(select(CallAttempt)).all()
    assert [(a.direction.value, a.e164, a.agent_id) for a in attempts] == [
        ("inbound", debtor.e164, 1)
    ]
    assert attempts[0].ended_at is not None and run.summary.inbound == 1
    assert len(run.summary.recordings) == 1
    # three outbound calls still allowed today: the customer's own call does not count
    for minute in range(3):
        reservation = reserve_attempt(
            sessions,
            debtor.phone_number_id,
            debtor.case_id,
            at(11, minute),
            JUDGE,
            lookback=JUDGE.lookback,
        )
        assert reservation.verdict.allowed
        # each call ends before the next is reserved: one call at a time
        mark_ended(sessions, reservation.attempt_id, AttemptStatus.ANSWERED, "", at(11, minute))
