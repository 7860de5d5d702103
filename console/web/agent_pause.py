"""The agent's pause (暂停): away from the phone, so no call is placed for them, and the
wallboard says so. See :mod:`store.agent_pause`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from console.web.auth import AGENT, Principal
from console.web.pages import DB, now
from store.agent_pause import PAUSE_REASONS, PauseError, pause, resume
from store.models import Agent

router = APIRouter(prefix="/agent")


def _mine(session: DB, me: Principal) -> Agent:
    agent = session.get(Agent, me.agent_id) if me.agent_id else None
    if agent is None:
        raise HTTPException(409, "your user is not linked to an agent's landline: ask an admin")
    return agent


@router.post("/pause")
def pause_me(
    request: Request,
    me: Annotated[Principal, Depends(AGENT)],
    session: DB,
    reason: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        pause(session, _mine(session, me), reason, me.username, now(request))
    except PauseError as exc:  # said without echoing what was sent
        allowed = "、".join(PAUSE_REASONS.values())
        raise HTTPException(422, f"暂停原因须为 {allowed} 之一 · unknown pause reason") from exc
    return RedirectResponse("/agent", status_code=303)


@router.post("/resume")
def resume_me(request: Request, me: Annotated[Principal, Depends(AGENT)], session: DB) -> Response:
    resume(session, _mine(session, me), me.username, now(request))
    return RedirectResponse("/agent", status_code=303)
