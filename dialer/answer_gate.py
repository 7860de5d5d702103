"""The FastAGI gate Asterisk runs when a callee answers (I/O: AGI and the database).

Thin, as wazo-agid's handlers are: it reads ``CW_ATTEMPT``, asks the store, and
sets ``CW_DECISION`` (and, when allowed, ``CW_REC`` and ``CW_AGENT``). It fails
closed. ``allow`` is said only for an attempt that

- this dialer originated and still follows, asked about from the channel it
  originated for it (``agi_uniqueid`` is the ``ChannelId`` it gave);
- is in flight in the database and was reserved for the agent it is bridged to;
- passes the policy now (``store.reservation.recheck_attempt``);
- was marked answered in the database after every other variable reached a live
  channel; ``allow`` is said last, and if even that reply says the channel is
  dead (``511``) or hung up, the answered mark is taken back.

Every other session is told ``blocked``. The reason goes on the attempt row:
a call of ours becomes ``blocked`` with it; a row that is not ours, or was
decided already, keeps its status and gets the reason as a note.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from dialer.agi import AgiHangup, AgiSession
from store.attempts import block_on_answer, mark_answered, note_refusal
from store.db import SessionFactory
from store.reservation import Judge, recheck_attempt

log = logging.getLogger(__name__)

ALLOW, BLOCKED = "allow", "blocked"
MAX_ATTEMPT_DIGITS = 18
"""Longer is not one of our ids (they are 64-bit) and is never looked up."""


class FollowedCall(Protocol):
    """What the gate needs of a call the dialer follows."""

    attempt_id: int
    agent_id: int
    answered: bool


@dataclass
class AnswerGate:
    sessions: SessionFactory
    judge: Judge
    clock: Callable[[], datetime]
    lookback: timedelta
    recordings_inside: str
    """Where MixMonitor writes, as Asterisk sees it."""
    agent_dial: Mapping[int, str]
    calls: Mapping[int, FollowedCall]
    """The calls this dialer originated and still follows, by attempt id."""
    on_blocked: Callable[[], None] = lambda: None

    async def handle(self, session: AgiSession) -> None:
        attempt = attempt_id(await session.get_variable("CW_ATTEMPT"))
        call = self.calls.get(attempt) if attempt is not None else None
        if attempt is None or call is None:
            if attempt is not None:
                why = f"attempt {attempt} was not dialled by this dialer"
                await asyncio.to_thread(note_refusal, self.sessions, attempt, why, self.clock())
            await self._block(session)
            return
        channel = session.request.env.get("agi_uniqueid", "")
        if channel != f"cw-attempt-{attempt}":
            shown = "".join(c if c.isprintable() else "?" for c in channel[:64])
            why = f"a gate session from channel {shown}, not the one dialled"
            await asyncio.to_thread(note_refusal, self.sessions, attempt, why, self.clock())
            await self._block(session)
            return
        verdict = await asyncio.to_thread(
            recheck_attempt,
            self.sessions,
            attempt,
            self.clock(),
            self.judge,
            lookback=self.lookback,
            agent_id=call.agent_id,
        )
        if not verdict.allowed:
            await self._block(session)
            return
        await self._bridge(session, call)

    async def _bridge(self, session: AgiSession, call: FollowedCall) -> None:
        """Tell the channel where to record and whom to dial, mark the row, then say allow."""
        attempt = call.attempt_id
        rec = f"{self.recordings_inside}/attempt-{attempt}"
        failed = await _tell(session, "CW_REC", rec) or await _tell(
            session, "CW_AGENT", self.agent_dial[call.agent_id]
        )
        if failed is not None:
            await self._refuse(session, attempt, failed)
            return
        if not await asyncio.to_thread(mark_answered, self.sessions, attempt, self.clock()):
            await self._refuse(session, attempt, "the attempt left flight before it was bridged")
            return
        call.answered = True
        failed = await _tell(session, "CW_DECISION", ALLOW)
        if failed is not None:  # the channel will not bridge: it was not answered by us
            call.answered = False
            await asyncio.to_thread(
                block_on_answer, self.sessions, attempt, failed, self.clock(), undo_answer=True
            )
            self.on_blocked()
            log.warning("attempt %s: not bridged: %s", attempt, failed)

    async def _refuse(self, session: AgiSession, attempt: int, why: str) -> None:
        await asyncio.to_thread(block_on_answer, self.sessions, attempt, why, self.clock())
        log.warning("attempt %s: blocked on answer: %s", attempt, why)
        await self._block(session)

    async def _block(self, session: AgiSession) -> None:
        self.on_blocked()
        await _tell(session, "CW_DECISION", BLOCKED)  # a dead channel or a closed link is fine


async def _tell(session: AgiSession, name: str, value: str) -> str | None:
    """Set one channel variable; None when a live channel took it, else why not."""
    try:
        reply = await session.set_variable(name, value)
    except (AgiHangup, ConnectionError, TimeoutError) as exc:
        return f"the gate's connection broke at SET VARIABLE {name} ({exc or type(exc).__name__})"
    if session.hung_up:
        return f"the channel hung up during the gate (at SET VARIABLE {name})"
    if reply.code == 511:
        return f"dead channel: 511 to SET VARIABLE {name}"
    if not reply.ok or reply.result != 1:
        return f"Asterisk did not set {name}: {reply.text[:80]}"
    return None


def attempt_id(raw: str | None) -> int | None:
    """The attempt id a channel carries, or None for anything that is not one of ours."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > MAX_ATTEMPT_DIGITS:
        return None
    return int(raw)
