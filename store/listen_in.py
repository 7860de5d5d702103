"""Listening in on a call (监听 · 密语 · 强插): which call a lead may reach, where their own
phone is, and the audit row of each use.

The call is looked up through :mod:`store.scope`'s rule, as on the wallboard, so a supervisor
can only reach the calls of the teams they lead (another team's call is "no such call").
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.models import CallAttempt, User
from store.scope import Viewer, visible_agent_ids


@dataclass(frozen=True)
class LeadCall:
    """A call a lead may listen in on, and whether it is up now."""

    attempt_id: int
    agent_id: int
    answered: bool
    """The callee answered and the agent was bridged (only then is there a leg to spy on)."""
    ended: bool


def call_for_lead(session: Session, viewer: Viewer, attempt_id: int) -> LeadCall | None:
    """Call attempt ``attempt_id`` if it is one of ``viewer``'s agents' calls, else None."""
    attempt = session.scalar(
        select(CallAttempt).where(
            CallAttempt.id == attempt_id, CallAttempt.agent_id.in_(visible_agent_ids(viewer))
        )
    )
    if attempt is None or attempt.agent_id is None:
        return None
    return LeadCall(
        attempt.id,
        attempt.agent_id,
        answered=attempt.answered_at is not None,
        ended=attempt.ended_at is not None,
    )


def own_endpoint(session: Session, user_id: int) -> str | None:
    """The user's own SIP phone (``callwarden user phone``), or None when they have none."""
    return session.scalar(select(User.sip_endpoint).where(User.id == user_id)) or None


def record_listen_in(
    session: Session, actor: str, call: LeadCall, mode: str, endpoint: str
) -> None:
    """Who listened in on which call, how, and from which phone (``live.listen_in``)."""
    record_audit(
        session,
        actor,
        "live.listen_in",
        object_type="call_attempt",
        object_id=str(call.attempt_id),
        detail={"mode": mode, "agent_id": call.agent_id, "endpoint": endpoint},
    )
