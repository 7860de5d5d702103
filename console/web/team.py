"""The team page (班组): a supervisor's teams, or every team for an admin, with each agent's
counters for today. Which agents a user may see is :mod:`store.scope`'s rule, not this
module's: a supervisor who changes an id in the address gets "not found", as for any
agent they do not lead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Request, Response

from console.contact_plan import Heading, cells, columns, terms_of
from console.contact_plan import plan_csv as plan_csv_text
from console.i18n import _
from console.web.auth import LEADS, Principal
from console.web.inputs import DbId
from console.web.pages import DB, ReadDB, cw, now, render
from store.audit import record_audit
from store.contact_plan import contact_plan
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
        raise HTTPException(404, _("没有这名坐席，或不在您的班组"))
    return render(request, "team_agent.html", me, day=day, detail=detail)


PLAN_PAGE_ROWS = 500
"""The page shows the first cases (strategy changes first); the CSV has them all."""


@router.get("/plan")
def plan_page(
    request: Request, me: Annotated[Principal, Depends(LEADS)], session: ReadDB
) -> Response:
    """The contact plan (联系计划) of the cases the lead's teams hold (an admin: all)."""
    zone, at = cw(request).settings.policy.timezone, now(request)
    terms = terms_of(cw(request).profile())
    rows = contact_plan(session, me, at, zone, terms)
    return render(
        request,
        "team_plan.html",
        me,
        heading=Heading.of(at, zone, terms),
        columns=columns(),
        rows=[cells(row, terms) for row in rows[:PLAN_PAGE_ROWS]],
        total=len(rows),
        due=sum(row.strategy_change for row in rows),
    )


@router.get("/plan.csv")
def plan_csv(me: Annotated[Principal, Depends(LEADS)], session: DB, request: Request) -> Response:
    zone, at = cw(request).settings.policy.timezone, now(request)
    terms = terms_of(cw(request).profile())
    rows = contact_plan(session, me, at, zone, terms)
    record_audit(
        session,
        me.username,
        "export.contact_plan",
        object_type="report",
        detail={"rows": len(rows)},
    )
    month = at.astimezone(ZoneInfo(zone)).strftime("%Y-%m")
    return Response(
        plan_csv_text(rows, terms),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="contact-plan-{month}.csv"'},
    )
