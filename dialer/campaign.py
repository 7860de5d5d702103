"""The campaign loop: reserve, originate, follow the call, hand the recording over.

Progressive mode: as soon as an agent is idle, the next number on their
worklist is reserved (policy checked atomically, ``store.reservation``) and
dialled through AMI, at most ``originate_per_s`` per second per server. When
the callee answers, Asterisk asks the FastAGI gate, which checks the policy
again at that instant before bridging the agent. AMI events end the attempt
with its outcome; an answered call's two direction files are merged and
handed to ``on_recording``. A case's numbers are in calling order, each the fallback
for the one before: once one is answered, the case's other numbers leave the worklists.
While AMI is down nothing is originated: the
reservation just made is released and the link is re-opened with backoff.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from dialer.agi import Handler
from dialer.ami import AmiEvent, AmiLink, OriginateRequest
from dialer.answer_gate import AnswerGate
from dialer.calls import CallState, DialItem
from dialer.errors import AmiUnavailable
from dialer.inbound import inbound_handler
from dialer.outcomes import ending, from_hangup
from recorder.errors import BadRecording
from recorder.merge import merge_noting_repairs
from store.agent_pause import paused_now
from store.attempts import (
    expire_stale,
    mark_ended,
    mark_originated,
    mark_ringing,
    release,
)
from store.db import SessionFactory
from store.enums import AttemptStatus
from store.reservation import Judge, reserve_attempt

log = logging.getLogger(__name__)
RINGING = "5"
"""Asterisk's ChannelState of a channel whose far end is ringing (AST_STATE_RINGING)."""
PAUSES_READ_EVERY_S = 1.0
"""How soon an agent's pause (or return) reaches a running campaign."""
Clock = Callable[[], datetime]


class Timer(Protocol):
    """The loop's own clock and sleep: pacing, backoff and waits (not the policy's clock).

    The system's by default; ``dialer.testing.VirtualTime`` in fast tests."""

    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class CampaignSettings:
    recordings_inside: str
    """Where MixMonitor writes, as Asterisk sees it."""
    recordings_host: Path
    """The same folder, as this process sees it."""
    trunk: str = "simnet"
    """PJSIP endpoint the callees are dialled through."""
    originate_per_s: float = 20.0
    ring_timeout_s: float = 30.0
    lookback: timedelta = timedelta(days=8)
    run_for_s: float = 600.0
    """Stop originating after this long; calls in flight still finish."""
    stale_after: timedelta = timedelta(hours=2)
    """In-flight attempts older than this (left by a dialer that died) are closed at start."""
    keep_open: bool = False
    """Stay up for inbound calls until ``run_for_s`` even when no number is left to dial."""


@dataclass
class _Collecting:
    deadline: float
    sizes: tuple[int, ...] = ()
    seen: float = 0.0
    """When ``sizes`` were last seen to change."""


@dataclass
class CampaignSummary:
    reserved: int = 0
    blocked_at_reservation: int = 0
    blocked_on_answer: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    recordings: list[tuple[int, Path]] = field(default_factory=list)
    ami_failures: int = 0
    inbound: int = 0


class Campaign:
    def __init__(  # noqa: PLR0917 (the objects one campaign is built from)
        self,
        sessions: SessionFactory,
        judge: Judge,
        connect: Callable[[], AmiLink],
        worklists: dict[int, list[DialItem]],
        agent_dial: dict[int, str],
        clock: Clock,
        settings: CampaignSettings,
        on_recording: Callable[[int, Path], None] = lambda attempt, path: None,
        *,
        timer: Timer | None = None,
    ) -> None:
        self.sessions, self.judge, self.connect = sessions, judge, connect
        self.worklists = {agent: list(items) for agent, items in worklists.items()}
        self.agent_dial, self.clock, self.settings = agent_dial, clock, settings
        self.on_recording = on_recording
        self.timer: Timer = timer or SystemTimer()
        self.events: queue.Queue[AmiEvent] = queue.Queue()
        self.calls: dict[int, CallState] = {}
        self.inbound_calls: dict[str, CallState] = {}
        self._collecting: dict[int, _Collecting] = {}
        """Inbound calls by their channel's Uniqueid (their Hangup names it)."""
        self.busy: set[int] = set()
        self.agents_lock = threading.Lock()
        """``busy`` is shared with the FastAGI thread (inbound calls take agents too)."""
        self.summary = CampaignSummary()
        self._ami: AmiLink | None = None
        self._next_originate = 0.0
        self._retry_link_at = 0.0
        self._backoff = 0.5
        self._paused: frozenset[int] = frozenset()
        self._paused_read_at = float("-inf")

    # ── the FastAGI gate, called by Asterisk on answer ─────────────────────
    def gate(self) -> Handler:
        """The gate's handler (``dialer.answer_gate``), over the calls this campaign follows."""

        def blocked() -> None:
            self.summary.blocked_on_answer += 1

        return AnswerGate(
            sessions=self.sessions,
            judge=self.judge,
            clock=self.clock,
            lookback=self.settings.lookback,
            recordings_inside=self.settings.recordings_inside,
            agent_dial=self.agent_dial,
            calls=self.calls,
            on_blocked=blocked,
        ).handle

    # ── a customer calling back ────────────────────────────────────────────
    def inbound(self) -> Handler:
        """Logs the call as inbound (never counted toward caps) and bridges an idle agent who
        is not paused (``dialer.inbound``)."""
        return inbound_handler(self)

    @property
    def recordings_inside(self) -> str:
        return self.settings.recordings_inside

    def took_inbound(self) -> None:
        self.summary.inbound += 1

    # ── the loop ───────────────────────────────────────────────────────────
    def run(self) -> CampaignSummary:
        expired = expire_stale(self.sessions, self.clock(), self.settings.stale_after)
        if expired:
            log.warning("closed %d attempt(s) a previous dialer left in flight", expired)
        stop_at = self.timer.monotonic() + self.settings.run_for_s
        try:
            self._loop(stop_at)
        except KeyboardInterrupt:  # Ctrl-C, or a SIGTERM made one: no attempt stays open
            self._end_followed("campaign interrupted")
            raise
        finally:
            if self._ami is not None:
                self._ami.close()
        return self.summary

    def _loop(self, stop_at: float) -> None:
        while True:
            self._link()  # events are followed even when nothing is left to dial (inbound)
            self._drain_events()
            self._expire_waits()
            if self._ami is not None and not self._ami.connected:
                self._lost_link()
            dialling = self.timer.monotonic() < stop_at
            if dialling:
                self._start_calls()
            self._collect_ready()
            idle = not self.busy and not self.inbound_calls and not self._collecting
            if idle and (
                not dialling or not (any(self.worklists.values()) or self.settings.keep_open)
            ):
                break
            self.timer.sleep(0.01)

    def _link(self) -> AmiLink | None:
        if self._ami is not None and self._ami.connected:
            return self._ami
        if self._ami is not None:
            self._lost_link()
        if self.timer.monotonic() < self._retry_link_at:
            return None
        try:
            self._ami = self.connect()
            self._ami.on_event(self.events.put)
            self._backoff = 0.5
            return self._ami
        except AmiUnavailable as exc:
            log.warning("AMI unavailable, retrying in %.1f s: %s", self._backoff, exc)
            self._ami = None
            self._retry_link_at = self.timer.monotonic() + self._backoff
            self._backoff = min(self._backoff * 2, 30.0)
            return None

    def _lost_link(self) -> None:
        """AMI went away (Asterisk restarted): the calls it carried are gone, and no event
        will ever end them. Close them now, so no attempt stays in flight and agents free up."""
        log.warning("AMI link lost with %d call(s) in flight", len(self.calls))
        assert self._ami is not None
        self._ami.close()
        self._ami = None
        self.summary.ami_failures += 1
        self._end_followed("AMI link lost")

    def _end_followed(self, cause: str) -> None:
        """End every call this campaign follows (no event will): answered ones as answered,
        the others as failed; their agents free up."""
        lost = [*self.calls.values(), *self.inbound_calls.values()]
        self.calls.clear()
        self.inbound_calls.clear()
        for call in lost:
            status = AttemptStatus.ANSWERED if call.answered else AttemptStatus.FAILED
            mark_ended(self.sessions, call.attempt_id, status, cause, self.clock())
            self.summary.outcomes["lost"] = self.summary.outcomes.get("lost", 0) + 1
            with self.agents_lock:
                self.busy.discard(call.agent_id)

    def _start_calls(self) -> None:
        for agent_id, items in self.worklists.items():
            with self.agents_lock:
                if agent_id in self.busy or not items:
                    continue
            if self.timer.monotonic() < self._next_originate:
                return
            if agent_id in self._paused_agents():
                continue  # away from the phone (暂停): their numbers wait for them
            link = self._link()
            if link is None:
                return  # nothing is reserved or originated while AMI is down
            with self.agents_lock:  # claimed before the reservation: an inbound call can't take it
                if agent_id in self.busy:
                    continue
                self.busy.add(agent_id)
            if not self._dial_next(agent_id, items, link):
                with self.agents_lock:
                    self.busy.discard(agent_id)

    def _paused_agents(self) -> frozenset[int]:
        """The agents paused now, read at most once a second (the loop turns every 10 ms)."""
        if self.timer.monotonic() - self._paused_read_at >= PAUSES_READ_EVERY_S:
            self._paused = paused_now(self.sessions)
            self._paused_read_at = self.timer.monotonic()
        return self._paused

    def _dial_next(self, agent_id: int, items: list[DialItem], link: AmiLink) -> bool:
        """Reserve and originate the agent's next number; False when nothing was dialled."""
        item = items.pop(0)
        now = self.clock()
        reservation = reserve_attempt(
            self.sessions,
            item.phone_number_id,
            item.case_id,
            now,
            self.judge,
            lookback=self.settings.lookback,
            agent_id=agent_id,
        )
        if not reservation.verdict.allowed:
            self.summary.blocked_at_reservation += 1
            return False
        self.summary.reserved += 1
        attempt = reservation.attempt_id
        self.calls[attempt] = CallState(attempt, agent_id, item)
        try:
            link.originate(
                OriginateRequest(
                    channel=f"PJSIP/{item.e164}@{self.settings.trunk}",
                    context="callwarden-answered",
                    timeout_ms=int(self.settings.ring_timeout_s * 1000),
                    variables={"CW_ATTEMPT": str(attempt), "CW_NUMBER": item.e164},
                    action_id=f"cw-{attempt}",
                    channel_id=f"cw-attempt-{attempt}",
                )
            )
        except AmiUnavailable as exc:
            self.summary.ami_failures += 1
            release(self.sessions, attempt, f"AMI unavailable: {exc}", self.clock())
            del self.calls[attempt]
            items.insert(0, item)  # try this number again once the link is back
            return False
        mark_originated(self.sessions, attempt, now)
        self._next_originate = self.timer.monotonic() + 1 / self.settings.originate_per_s
        return True

    def _drain_events(self) -> None:
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                return
            self._on_event(event)

    def _on_event(self, event: AmiEvent) -> None:
        if event.name == "OriginateResponse":
            attempt = _attempt_of(event.headers.get("ActionID", ""), "cw-")
            if attempt in self.calls:
                self.calls[attempt].response = event.headers
                self.calls[attempt].responded_at = self.timer.monotonic()
                self._maybe_finish(attempt)
        elif event.name == "Newstate" and event.headers.get("ChannelState") == RINGING:
            attempt = _attempt_of(event.headers.get("Uniqueid", ""), "cw-attempt-")
            if attempt in self.calls:  # 拨号中 → 振铃 on the wallboard
                mark_ringing(self.sessions, attempt, self.clock())
        elif event.name == "Hangup":
            attempt = _attempt_of(event.headers.get("Uniqueid", ""), "cw-attempt-")
            if attempt in self.calls:
                self.calls[attempt].hangup = event.headers
                self._maybe_finish(attempt)
            inbound = self.inbound_calls.pop(event.headers.get("Uniqueid", ""), None)
            if inbound is not None:
                end = from_hangup(event.headers, answered=True)
                mark_ended(self.sessions, inbound.attempt_id, end.status, end.cause, self.clock())
                with self.agents_lock:
                    self.busy.discard(inbound.agent_id)
                self._collect(inbound.attempt_id)

    def _maybe_finish(self, attempt: int) -> None:
        """End the attempt once its outcome is known; free its agent."""
        call = self.calls[attempt]
        end = ending(
            call.answered, call.response, call.hangup, self.timer.monotonic() - call.responded_at
        )
        if end is None:
            return
        mark_ended(
            self.sessions, attempt, end.status, end.cause, self.clock(), number_gone=end.number_gone
        )
        key = end.status.value
        self.summary.outcomes[key] = self.summary.outcomes.get(key, 0) + 1
        if end.status is AttemptStatus.ANSWERED:
            self._reached(call.item.case_id)
        with self.agents_lock:
            self.busy.discard(call.agent_id)
        del self.calls[attempt]
        if call.answered:
            self._collect(attempt)

    def _reached(self, case_id: int) -> None:
        """A case's numbers are listed in calling order, each the fallback for the one before:
        once one is answered, the case was reached, and its other numbers leave the worklists
        (no centre rings a person back on their home phone seconds after speaking to them)."""
        for items in self.worklists.values():
            items[:] = [item for item in items if item.case_id != case_id]

    def _expire_waits(self) -> None:
        for attempt in list(self.calls):
            self._maybe_finish(attempt)

    def _collect(self, attempt: int) -> None:
        """Watch the call's two direction files until MixMonitor has closed them."""
        self._collecting[attempt] = _Collecting(self.timer.monotonic() + COLLECT_WAIT_S)

    def _collect_ready(self) -> None:
        """Hand over every recording whose files stopped growing (never sleeps: the loop
        goes on dialling meanwhile)."""
        for attempt, watch in list(self._collecting.items()):
            base = self.settings.recordings_host / f"attempt-{attempt}"
            rx, tx = Path(f"{base}-rx.wav"), Path(f"{base}-tx.wav")
            sizes = tuple(p.stat().st_size if p.is_file() else -1 for p in (rx, tx))
            now = self.timer.monotonic()
            if -1 not in sizes and sizes == watch.sizes and now - watch.seen >= SETTLE_S:
                del self._collecting[attempt]
                try:
                    stereo, repair = merge_noting_repairs(rx, tx, Path(f"{base}.wav"))
                except BadRecording as exc:  # intake stores it as failed, with the reason
                    log.error("attempt %s: %s", attempt, exc)
                    stereo, repair = rx, None
                if repair:  # MixMonitor closed its files before the hangup was reported?
                    log.warning("attempt %s: %s", attempt, repair)
                self.summary.recordings.append((attempt, stereo))
                self.on_recording(attempt, stereo)
            elif now > watch.deadline:
                del self._collecting[attempt]
                log.error("attempt %s: no recording found at %s-{rx,tx}.wav", attempt, base)
            elif sizes != watch.sizes:
                watch.sizes, watch.seen = sizes, now


COLLECT_WAIT_S = 5.0
"""How long after the hangup a call's recording files may take to appear."""
SETTLE_S = 0.2
"""Files unchanged this long are closed (MixMonitor finishes just after the hangup)."""


def _attempt_of(value: str, prefix: str) -> int | None:
    rest = value[len(prefix) :] if value.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None
