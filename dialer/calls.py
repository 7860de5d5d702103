"""What the campaign dials and follows: one number on a worklist, one call in progress (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DialItem:
    """One number on one agent's worklist."""

    phone_number_id: int
    case_id: int
    e164: str


@dataclass
class CallState:
    attempt_id: int
    agent_id: int
    item: DialItem
    answered: bool = False
    response: dict[str, str] | None = None
    responded_at: float = 0.0
    hangup: dict[str, str] | None = None
