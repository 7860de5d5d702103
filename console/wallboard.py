"""The live wallboard (实时看板) as data: floor rows in, board out, and what changed between
two boards as server-sent events. Pure: no clock, no database, no I/O.

A tile carries the moment its state began (``since``), not a running duration, so a call
that simply goes on changes nothing and costs no event; the browser counts the seconds.
Everything about a callee is masked here, once, for the page and the stream alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from console.i18n import N_
from store.enums import Speaker
from store.pii import mask_name, mask_phone, mask_text
from store.wallboard import LINES_SHOWN, AgentRow, AlertRow, FloorRows, OpenCall

__all__ = ["LINES_SHOWN"]  # the board's own limit, re-exported for its readers


class AgentState(StrEnum):
    IDLE = "idle"
    DIALLING = "dialling"
    """Dialled; the callee's phone has not rung yet (拨号中)."""
    RINGING = "ringing"
    """The callee's phone rings (振铃), not answered yet."""
    TALKING = "talking"
    WRAP_UP = "wrap_up"
    """No call up, but notes owed (话后处理): the next call waits for them."""
    PAUSED = "paused"
    """Away from the phone (暂停), no call up: none is placed for them until they resume."""


STATE_LABELS = {
    AgentState.IDLE: N_("空闲"),
    AgentState.DIALLING: N_("拨号中"),
    AgentState.RINGING: N_("振铃"),
    AgentState.TALKING: N_("通话中"),
    AgentState.WRAP_UP: N_("话后处理"),
    AgentState.PAUSED: N_("暂停中"),
}
"""Catalog messages: the page and its script name each state in the reader's language."""
PAUSE_LABELS = {
    "break": N_("小休"),
    "meal": N_("用餐"),
    "training": N_("培训"),
    "meeting": N_("会议"),
    "other": N_("其他"),
}
"""Why a paused agent is away, one word per ``store.agent_pause.PAUSE_REASONS``."""


SPEAKER_LABELS = {"agent": N_("坐席"), "callee": N_("对方"), "unknown": N_("未分声道")}
"""Who said a line, as the floor says it (catalog messages)."""


@dataclass(frozen=True)
class SaidLine:
    """One line of a call's running transcript on its agent's tile."""

    speaker: str
    at_s: float
    text: str
    """Masked: a transcript is untrusted, personal text."""
    flag: str = ""
    """The category of a live alert raised on this utterance ("" for none)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "speaker": self.speaker,
            "at_s": self.at_s,
            "text": self.text,
            "flag": self.flag,
        }


@dataclass(frozen=True)
class Tile:
    """One agent on the board."""

    agent_id: int
    code: str
    name: str
    team: str
    state: AgentState
    callee: str
    """Who the call is with, masked ("" without a call)."""
    since: datetime | None
    """When the call began ringing or was answered; None when idle or in wrap-up."""
    counters: dict[str, float]
    """Today's attempts, connected, talk_s, notes_owed, flags, holds."""
    attempt_id: int | None = None
    """The call up now (what a lead listens in on); None without a call."""
    transcript: tuple[SaidLine, ...] = ()
    """The call's newest live lines, oldest first (empty without a call)."""
    pause_reason: str = ""
    """Why a paused agent is away (a key of :data:`PAUSE_LABELS`); "" unless paused."""

    def as_json(self) -> dict[str, Any]:
        return {
            "transcript": [line.as_json() for line in self.transcript],
            "agent_id": self.agent_id,
            "attempt_id": self.attempt_id,
            "code": self.code,
            "name": self.name,
            "team": self.team,
            "state": self.state.value,
            "state_label": STATE_LABELS[self.state],
            "pause_reason": self.pause_reason,
            "callee": self.callee,
            "since": _iso(self.since),
            "counters": self.counters,
        }


@dataclass(frozen=True)
class AlertCard:
    alert_id: int
    agent_id: int
    agent: str
    """The agent's code and name."""
    category: str
    speaker: str
    at_s: float
    """Seconds into the call."""
    utterance: str
    """What was said, with numbers and IDs masked (a transcript is untrusted, personal text)."""
    created_at: datetime
    seen: bool
    attempt_id: int = 0
    barge: bool = False
    """Offer the lead a one-click barge into the call (``[live.actions]`` says ``barge``)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.alert_id,
            "attempt_id": self.attempt_id,
            "barge": self.barge,
            "agent_id": self.agent_id,
            "agent": self.agent,
            "category": self.category,
            "speaker": self.speaker,
            "at_s": round(self.at_s, 1),
            "utterance": self.utterance,
            "created_at": _iso(self.created_at),
            "seen": self.seen,
        }


@dataclass(frozen=True)
class Board:
    tiles: tuple[Tile, ...]
    alerts: tuple[AlertCard, ...]
    """Newest first."""

    def as_json(self) -> dict[str, Any]:
        return {
            "tiles": [t.as_json() for t in self.tiles],
            "alerts": [a.as_json() for a in self.alerts],
        }


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name and its JSON data."""

    name: str
    data: dict[str, Any]


def board(rows: FloorRows) -> Board:
    """The board for these rows: one tile per agent in the rows' order, then the alerts."""
    current: dict[int, OpenCall] = {}
    for call in rows.calls:  # oldest first: an answered call outranks one still ringing
        held = current.get(call.agent_id)
        if held is None or _rank(call) >= _rank(held):
            current[call.agent_id] = call
    names = {a.agent_id: f"{a.code} {a.name}" for a in rows.agents}
    flagged = {(a.attempt_id, a.speaker, a.start_s): a.category for a in rows.alerts}
    return Board(
        tuple(
            _tile(agent, current.get(agent.agent_id), flagged, rows.pauses.get(agent.agent_id))
            for agent in rows.agents
        ),
        tuple(_card(alert, names.get(alert.agent_id, "")) for alert in rows.alerts),
    )


def _rank(call: OpenCall) -> int:
    return 1 if call.answered_at is not None else 0


def _tile(
    agent: AgentRow,
    call: OpenCall | None,
    flagged: dict[tuple[int, Speaker, float], str],
    paused: tuple[str, datetime] | None,
) -> Tile:
    c = agent.counters
    counters: dict[str, float] = {
        "attempts": c.attempts,
        "connected": c.connected,
        "talk_s": round(c.talk_s),
        "notes_owed": c.notes_owed,
        "flags": c.flags,
        "holds": c.holds,
    }
    if call is None and paused is not None:  # a call up outranks a pause taken during it
        reason, since = paused
        return Tile(
            agent.agent_id, agent.code, agent.name, agent.team, AgentState.PAUSED, "", since,
            counters, pause_reason=reason,
        )  # fmt: skip
    if call is None:
        state = AgentState.WRAP_UP if c.notes_owed else AgentState.IDLE
        return Tile(agent.agent_id, agent.code, agent.name, agent.team, state, "", None, counters)
    if call.answered_at is not None:
        state, since = AgentState.TALKING, call.answered_at
    elif call.ringing_at is not None:
        state, since = AgentState.RINGING, call.ringing_at
    else:
        state, since = AgentState.DIALLING, call.originated_at or call.reserved_at
    callee = f"{mask_name(call.callee_name)} {mask_phone(call.e164)}".strip()
    transcript = tuple(
        SaidLine(
            line.speaker.value,
            line.start_s,
            _said(line.text, call.callee_name),
            line.flag or flagged.get((call.attempt_id, line.speaker, line.start_s), ""),
        )
        for line in call.lines
    )
    return Tile(
        agent.agent_id,
        agent.code,
        agent.name,
        agent.team,
        state,
        callee,
        since,
        counters,
        call.attempt_id,
        transcript,
    )


def _said(text: str, callee_name: str) -> str:
    """A live line as the board shows it: masked, and the callee named in it (the identity
    check says their full name) masked as in the callee column."""
    name = callee_name.strip()
    masked = mask_text(text)
    return masked.replace(name, mask_name(name)) if len(name) > 1 else masked


def _card(alert: AlertRow, agent: str) -> AlertCard:
    return AlertCard(
        alert.alert_id,
        alert.agent_id,
        agent,
        alert.category,
        alert.speaker.value,
        alert.start_s,
        mask_text(alert.evidence),
        alert.created_at,
        alert.seen_at is not None,
        alert.attempt_id,
        alert.offers_barge,
    )


def snapshot(new: Board, at: datetime) -> list[Event]:
    """What a board just opened (or reconnected) is sent first: all of it, and the console's
    time ``at``, so the browser counts call times on the console's clock, not its own."""
    return [Event("snapshot", {**new.as_json(), "at": _iso(at)})]


def changes(old: Board, new: Board) -> list[Event]:
    """The events that turn ``old`` into ``new``: tiles changed, added or gone; alerts new
    (oldest first, so they arrive in order) and alerts acknowledged since."""
    events: list[Event] = []
    before = {t.agent_id: t for t in old.tiles}
    for tile in new.tiles:
        if before.pop(tile.agent_id, None) != tile:
            events.append(Event("agent", tile.as_json()))
    events.extend(Event("agent_gone", {"agent_id": gone}) for gone in before)
    seen_before = {a.alert_id: a.seen for a in old.alerts}
    for card in reversed(new.alerts):
        if card.alert_id not in seen_before:
            events.append(Event("alert", card.as_json()))
        elif card.seen and not seen_before[card.alert_id]:
            events.append(Event("alert_seen", {"id": card.alert_id}))
    return events


HEARTBEAT = b": heartbeat\n\n"
"""A comment line: browsers ignore it, proxies and dead connections notice it."""


def retry_frame(milliseconds: int) -> bytes:
    """How long the browser waits before it reconnects a dropped stream."""
    return f"retry: {milliseconds}\n\n".encode()


def encode_event(event: Event) -> bytes:
    """``event: <name>`` and one ``data:`` line (JSON escapes every newline), then a blank line."""
    data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return f"event: {event.name}\ndata: {data}\n\n".encode()


def decode_event(block: str) -> Event | None:
    """The event in one frame (the text between blank lines); None for a comment or a retry."""
    name, data = "message", []
    for line in block.splitlines():
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if not data:
        return None
    return Event(name, json.loads("\n".join(data)))


def _iso(moment: datetime | None) -> str | None:
    # Always UTC with its offset, so the browser counts from the right second.
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
