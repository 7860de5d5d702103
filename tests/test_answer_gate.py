"""The FastAGI gate on answer, against a scripted Asterisk over real TCP and both databases:
it allows only an attempt in flight in the database, dialled by this dialer on this channel,
that passes the policy now; anything else is blocked with the reason on the attempt row."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from dialer.agi import AgiServer
from dialer.ami import AmiEvent, OriginateRequest
from dialer.calls import DialItem
from dialer.campaign import Campaign, CampaignSettings
from store.attempts import mark_answered, mark_ended
from store.db import SessionFactory
from store.enums import AttemptStatus
from store.models import Agent, CallAttempt
from store.reservation import recheck_attempt
from tests.dbdata import debtor_targets, load_sample
from tests.test_reservation import JUDGE, at, reserve

DEAD = "511 Command Not Permitted on a dead channel"


class FakeLink:
    """An AMI link that takes every originate and never sends an event."""

    def __init__(self) -> None:
        self.requests: list[OriginateRequest] = []

    def originate(self, request: OriginateRequest) -> None:
        self.requests.append(request)

    def on_event(self, handler: Callable[[AmiEvent], None]) -> None:
        pass

    def close(self) -> None:
        pass

    @property
    def connected(self) -> bool:
        return True


@dataclass
class Asterisk:
    """Asterisk's side of one gate session: its environment, then a reply per command.

    ``reply`` maps a command line to the reply lines sent back (``HANGUP`` first when the
    channel hangs up meanwhile); the default answers like a live channel.
    """

    attempt: str
    uniqueid: str
    reply: Callable[[str], list[str]] | None = None
    sent: list[str] = field(default_factory=list)

    def answer(self, command: str) -> list[str]:
        if self.reply is not None:
            return self.reply(command)
        if command == 'GET VARIABLE "CW_ATTEMPT"':
            return [f"200 result=1 ({self.attempt})"]
        return ["200 result=1"] if command.startswith("SET ") else ["200 result=0"]

    @property
    def variables(self) -> dict[str, str]:
        """What the gate set, as the channel would hold it."""
        out: dict[str, str] = {}
        for line in self.sent:
            if line.startswith("SET VARIABLE "):
                name, value = line[len("SET VARIABLE ") :].split(" ", 1)
                out[name.strip('"')] = value.strip('"')
        return out

    async def run(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        env = [
            "agi_network: yes",
            "agi_network_script: gate",
            "agi_channel: PJSIP/simnet-00000001",
            f"agi_uniqueid: {self.uniqueid}",
            "agi_context: callwarden-answered",
            "",
        ]
        writer.write("".join(f"{line}\n" for line in env).encode())
        await writer.drain()
        while line := await reader.readline():
            command = line.decode().rstrip("\n")
            self.sent.append(command)
            lines = self.answer(command)
            if not lines:
                break  # Asterisk went away without replying
            writer.write("".join(f"{x}\n" for x in lines).encode())
            await writer.drain()
        writer.close()


async def handlers_done() -> None:
    """Wait until the server's handler tasks have finished (Python 3.11's ``wait_closed`` does
    not wait for them): a handler may still be writing after Asterisk's side has closed."""
    while len(asyncio.all_tasks()) > 1:
        await asyncio.sleep(0.01)


@dataclass
class Dialer:
    sessions: SessionFactory
    campaign: Campaign
    now: list[datetime]
    attempt: int

    def session(
        self,
        at_time: datetime,
        *,
        attempt: int | None = None,
        uniqueid: str | None = None,
        reply: Callable[[str], list[str]] | None = None,
    ) -> Asterisk:
        """One gate session at ``at_time`` for ``attempt`` (this dialer's call by default)."""
        self.now[0] = at_time
        number = self.attempt if attempt is None else attempt
        asterisk = Asterisk(str(number), uniqueid or f"cw-attempt-{number}", reply)

        async def scenario() -> None:
            server = AgiServer({"gate": self.campaign.gate()})
            await asterisk.run(await server.start())
            await handlers_done()
            await server.close()

        asyncio.run(scenario())
        return asterisk

    def row(self, attempt: int | None = None) -> CallAttempt:
        with self.sessions() as session:
            found = session.get(CallAttempt, self.attempt if attempt is None else attempt)
            assert found is not None
            return found


@pytest.fixture
def dialer(sessions: SessionFactory, tmp_path: Path) -> Iterator[Dialer]:
    """A campaign that reserved and originated one call for agent 1 at 10:00."""
    load_sample(sessions)
    target = debtor_targets(sessions)[0]
    with sessions.begin() as session:
        session.add(Agent(code="A01", name="坐席一", sip_endpoint="PJSIP/a01@simnet"))
    now = [at(10)]
    settings = CampaignSettings(recordings_inside="/spool", recordings_host=tmp_path)
    link = FakeLink()
    campaign = Campaign(
        sessions,
        JUDGE,
        lambda: link,
        {1: []},
        {1: "PJSIP/a01@simnet"},
        lambda: now[0],
        settings,
    )
    item = DialItem(target.phone_number_id, target.case_id, target.e164)
    assert campaign._dial_next(1, [item], link)
    attempt = int(link.requests[0].variables["CW_ATTEMPT"])
    yield Dialer(sessions, campaign, now, attempt)


def test_an_attempt_in_flight_that_passes_the_policy_is_allowed(dialer: Dialer) -> None:
    asterisk = dialer.session(at(10, 0) + timedelta(seconds=5))
    assert asterisk.variables == {
        "CW_REC": f"/spool/attempt-{dialer.attempt}",
        "CW_AGENT": "PJSIP/a01@simnet",
        "CW_DECISION": "allow",
    }
    assert asterisk.sent[-1] == 'SET VARIABLE "CW_DECISION" "allow"'  # allow is said last
    assert dialer.row().status == AttemptStatus.ANSWERED
    assert dialer.campaign.calls[dialer.attempt].answered


def test_a_second_session_for_an_attempt_blocked_on_answer_is_blocked(dialer: Dialer) -> None:
    first = dialer.session(at(22, 30))
    assert first.variables == {"CW_DECISION": "blocked"}
    second = dialer.session(at(10, 1))  # the policy alone would allow it now
    assert second.variables == {"CW_DECISION": "blocked"}
    row = dialer.row()
    assert row.status == AttemptStatus.BLOCKED and row.answered_at is None
    assert row.decision_reason.startswith("blocked on answer")
    assert "not in flight (blocked)" in row.decision_reason
    assert not dialer.campaign.calls[dialer.attempt].answered
    assert dialer.campaign.summary.blocked_on_answer == 2


def test_an_attempt_the_database_ended_is_blocked_though_in_memory(dialer: Dialer) -> None:
    mark_ended(dialer.sessions, dialer.attempt, AttemptStatus.FAILED, "expired", at(10, 1))
    asterisk = dialer.session(at(10, 2))
    assert asterisk.variables == {"CW_DECISION": "blocked"}
    row = dialer.row()
    assert row.status == AttemptStatus.FAILED
    assert "not in flight (failed)" in row.decision_reason


def test_an_attempt_another_dialer_reserved_is_blocked_and_noted(
    dialer: Dialer, sessions: SessionFactory
) -> None:
    debtors = debtor_targets(sessions)  # another person: this one is in the fixture's call
    someone_else = next(t for t in debtors if t.person_id != debtors[0].person_id)
    other, allowed, _ = reserve(sessions, someone_else, at(10))
    assert allowed
    asterisk = dialer.session(at(10, 1), attempt=other)
    assert asterisk.variables == {"CW_DECISION": "blocked"}
    row = dialer.row(other)
    assert row.status == AttemptStatus.RESERVED  # another dialer's call: only noted
    assert "not dialled by this dialer" in row.decision_reason


def test_a_session_from_another_channel_is_blocked(dialer: Dialer) -> None:
    asterisk = dialer.session(at(10, 1), uniqueid="1795536873.1")
    assert asterisk.variables == {"CW_DECISION": "blocked"}
    row = dialer.row()
    assert row.status == AttemptStatus.ORIGINATED  # a stray session; the call's own may come
    assert "channel 1795536873.1" in row.decision_reason
    assert dialer.session(at(10, 1)).variables["CW_DECISION"] == "allow"


def test_unknown_and_malformed_attempts_are_blocked(dialer: Dialer) -> None:
    for attempt in ("99999", "", "-1", "1" * 40):
        asterisk = Asterisk(attempt, "cw-attempt-99999")
        asterisk.reply = lambda command, a=asterisk: (
            [f"200 result=1 ({a.attempt})"] if command.startswith("GET") else ["200 result=1"]
        )

        async def scenario(asterisk: Asterisk = asterisk) -> None:
            server = AgiServer({"gate": dialer.campaign.gate()})
            await asterisk.run(await server.start())
            await handlers_done()
            await server.close()

        asyncio.run(scenario())
        assert asterisk.variables == {"CW_DECISION": "blocked"}, attempt
    assert dialer.row().status == AttemptStatus.ORIGINATED


def _dead_from(first_dead: str) -> Callable[[Asterisk], Callable[[str], list[str]]]:
    """Replies as a live channel until ``first_dead`` is sent, then 511 to everything."""

    def make(asterisk: Asterisk) -> Callable[[str], list[str]]:
        dead = [False]

        def reply(command: str) -> list[str]:
            dead[0] = dead[0] or command.startswith(first_dead)
            return [DEAD] if dead[0] else asterisk.answer(command)

        return reply

    return make


@pytest.mark.parametrize(
    "first_dead",
    ['SET VARIABLE "CW_REC"', 'SET VARIABLE "CW_AGENT"', 'SET VARIABLE "CW_DECISION"'],
)
def test_a_dead_channel_is_never_marked_answered_nor_allowed(
    dialer: Dialer, first_dead: str
) -> None:
    probe = Asterisk(str(dialer.attempt), f"cw-attempt-{dialer.attempt}")
    asterisk = dialer.session(at(10, 1), reply=_dead_from(first_dead)(probe))
    assert any(line.startswith("SET VARIABLE") for line in asterisk.sent)
    row = dialer.row()
    assert row.status == AttemptStatus.BLOCKED and row.answered_at is None
    assert "dead channel" in row.decision_reason
    assert not dialer.campaign.calls[dialer.attempt].answered


def test_a_hangup_during_the_gate_is_never_marked_answered(dialer: Dialer) -> None:
    probe = Asterisk(str(dialer.attempt), f"cw-attempt-{dialer.attempt}")

    def reply(command: str) -> list[str]:
        if command.startswith('SET VARIABLE "CW_AGENT"'):
            return ["HANGUP", "200 result=1"]  # the callee hung up meanwhile
        return probe.answer(command)

    dialer.session(at(10, 1), reply=reply)
    row = dialer.row()
    assert row.status == AttemptStatus.BLOCKED and row.answered_at is None
    assert "hung up" in row.decision_reason
    assert not dialer.campaign.calls[dialer.attempt].answered


def test_mark_answered_reports_a_row_that_is_not_in_flight(dialer: Dialer) -> None:
    mark_ended(dialer.sessions, dialer.attempt, AttemptStatus.NO_ANSWER, "no answer", at(10, 1))
    assert mark_answered(dialer.sessions, dialer.attempt, at(10, 2)) is False
    assert dialer.row().status == AttemptStatus.NO_ANSWER


def test_recheck_refuses_an_attempt_that_is_not_in_flight(dialer: Dialer) -> None:
    mark_ended(dialer.sessions, dialer.attempt, AttemptStatus.BUSY, "busy", at(10, 1))
    verdict = recheck_attempt(
        dialer.sessions, dialer.attempt, at(10, 2), JUDGE, lookback=JUDGE.lookback, agent_id=1
    )
    assert not verdict.allowed and verdict.rule_id == "gate.not_in_flight"
    with dialer.sessions() as session:
        statuses = list(session.scalars(select(CallAttempt.status)))
    assert statuses == [AttemptStatus.BUSY]


def test_two_sessions_at_once_for_one_attempt_allow_it_once(dialer: Dialer) -> None:
    dialer.now[0] = at(10, 1)
    pair = [Asterisk(str(dialer.attempt), f"cw-attempt-{dialer.attempt}") for _ in range(2)]

    async def scenario() -> None:
        server = AgiServer({"gate": dialer.campaign.gate()})
        port = await server.start()
        await asyncio.gather(*(asterisk.run(port) for asterisk in pair))
        await handlers_done()
        await server.close()

    asyncio.run(scenario())
    decisions = sorted(asterisk.variables["CW_DECISION"] for asterisk in pair)
    assert decisions == ["allow", "blocked"]
    row = dialer.row()
    assert row.status == AttemptStatus.ANSWERED and "refused" in row.decision_reason


def test_a_connection_closed_before_allow_leaves_the_attempt_blocked(dialer: Dialer) -> None:
    probe = Asterisk(str(dialer.attempt), f"cw-attempt-{dialer.attempt}")

    def reply(command: str) -> list[str]:
        if command.startswith('SET VARIABLE "CW_DECISION"'):
            return []  # the connection closes before the reply
        return probe.answer(command)

    dialer.session(at(10, 1), reply=reply)
    row = dialer.row()
    assert row.status == AttemptStatus.BLOCKED and row.answered_at is None
    assert "connection broke at SET VARIABLE CW_DECISION" in row.decision_reason
    assert not dialer.campaign.calls[dialer.attempt].answered
