"""The team page (班组): a supervisor's teams, or every team for an admin, with each agent's
counters for today. Which agents a user may see is :mod:`store.scope`'s rule, not this
module's: a supervisor who changes an id in the address gets "not found", as for any
agent they do not lead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from console.web.auth import LEADS, Principal
from console.web.inputs import DbId
from console.web.pages import ReadDB, cw, now, render
from store.team_day import agent_detail, day_window, team_days

router = APIRouter(prefix="/team")


def _today(request: Request) -> tuple[str, tuple[datetime, datetime]]:
    """The centre's today: its date for the heading, its bounds for the counters."""
    start, end = day_window(now(request), cw(request).settings.policy.timezone)
    return start.date().isoformat(), (start, end)


@router.get("")
def teams(request: Request, me: Annotated[Principal, Depends(LEADS)], session: ReadDB) -> Response:
    day, (start, end) = _today(request)
    return render(request, "team.html", me, day=day, teams=team_days(session, me, start, end))


@router.get("/agents/{agent_id}")
def agent_page(
    request: Request, agent_id: DbId, me: Annotated[Principal, Depends(LEADS)], session: ReadDB
) -> Response:
    day, (start, end) = _today(request)
    detail = agent_detail(session, me, agent_id, start, end)
    if detail is None:
        raise HTTPException(404, "没有这名坐席，或不在您的班组 · no such agent in your teams")
    return render(request, "team_agent.html", me, day=day, detail=detail)
