"""The agent's pause (暂停): away from the phone, so no call is placed for them, and the
wallboard says so. See :mod:`store.agent_pause`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse

from console.i18n import _
from console.wallboard import PAUSE_LABELS
from console.web.auth import AGENT, Principal, my_agent
from console.web.pages import DB, now
from store.agent_pause import PauseError, pause, resume
from store.said import LIST_JOIN

router = APIRouter(prefix="/agent")


@router.post("/pause")
def pause_me(
    request: Request,
    me: Annotated[Principal, Depends(AGENT)],
    session: DB,
    reason: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        pause(session, my_agent(session, me), reason, me.username, now(request))
    except PauseError as exc:  # said without echoing what was sent
        allowed = _(LIST_JOIN).join(_(label) for label in PAUSE_LABELS.values())
        raise HTTPException(
            422, _("暂停原因须为 %(allowed)s 之一。") % {"allowed": allowed}
        ) from exc
    return RedirectResponse("/agent", status_code=303)


@router.post("/resume")
def resume_me(request: Request, me: Annotated[Principal, Depends(AGENT)], session: DB) -> Response:
    resume(session, my_agent(session, me), me.username, now(request))
    return RedirectResponse("/agent", status_code=303)
