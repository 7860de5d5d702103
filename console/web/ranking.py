"""The monthly ranking (月度排名) and the reverse audit (倒查) in the console.

- ``/team/ranking``: the month's ranking for the leads (a supervisor their teams' rows, an
  admin everyone's), with each audited collector's findings; its CSV, audit-logged; an
  admin draws a month's sample from it (the same as ``callwarden ranking draw``).
- ``/qa/audits``: QA's queue of drawn cases; ``/qa/audits/{id}``: one case's class, notes
  and recordings, with the two verdicts (class, notes) and a remark, audit-logged. A
  supervisor may read the cases of their teams' collectors; any other id is "not found".
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from console.i18n import N_, _, say, translated
from console.ranking import (
    MEASURE_ZH,
    RankingError,
    RankingView,
    draw_month,
    header,
    last_month,
    month_ranking,
    parse_month,
    ranking_csv,
    ranking_view,
    table,
    terms_of,
)
from console.web.auth import ADMIN, CASE_READERS, LEADS, QA, Principal
from console.web.inputs import DbId
from console.web.pages import DB, ReadDB, cw, now, render
from store.audit import record_audit
from store.ranking import evidence, record_verdict, sample_rows, visible_sample
from store.scope import Viewer

router = APIRouter()
_NOT_YOURS = N_("没有这个抽样案件，或不在您的班组")
MonthText = Annotated[str | None, Query(alias="month", max_length=20)]


def _month(request: Request, text: str | None) -> date:
    if not text:
        zone = ZoneInfo(cw(request).settings.policy.timezone)
        return last_month(now(request).astimezone(zone).date())
    try:
        return parse_month(text)
    except RankingError as exc:
        raise HTTPException(400, say(exc)) from exc


def _view(request: Request, me: Viewer, session: Session, month: date) -> RankingView:
    app = cw(request)
    ranked = month_ranking(
        session, month, now=now(request), terms=terms_of(app), settings=app.settings.ranking
    )
    return ranking_view(session, me, ranked)


@router.get("/team/ranking")
def ranking_page(
    request: Request,
    me: Annotated[Principal, Depends(LEADS)],
    session: ReadDB,
    month_text: MonthText = None,
) -> Response:
    month = _month(request, month_text)
    view = _view(request, me, session, month)
    samples = sample_rows(session, me, month)
    settings = cw(request).settings.ranking
    return render(
        request,
        "team_ranking.html",
        me,
        view=view,
        columns=header(view),
        rows=table(view),
        samples=samples,
        month=f"{month:%Y-%m}",
        settings=settings,
        labels=translated(MEASURE_ZH),
    )


@router.get("/team/ranking.csv")
def ranking_export(
    request: Request,
    me: Annotated[Principal, Depends(LEADS)],
    session: DB,
    month_text: MonthText = None,
) -> Response:
    month = _month(request, month_text)
    view = _view(request, me, session, month)
    record_audit(
        session,
        me.username,
        "export.ranking",
        object_type="report",
        detail={"format": "csv", "month": f"{month:%Y-%m}", "rows": len(view.rows)},
    )
    name = f"ranking-{month:%Y-%m}.csv"
    return Response(
        ranking_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/team/ranking/draw")
def draw(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    month_text: Annotated[str, Form(alias="month", max_length=20)],
) -> Response:
    app = cw(request)
    try:
        month = parse_month(month_text)
        draw_month(
            session,
            month,
            now=now(request),
            terms=terms_of(app),
            settings=app.settings.ranking,
            seed="",
            actor=me.username,
        )
    except RankingError as exc:
        raise HTTPException(400, say(exc)) from exc
    return RedirectResponse(f"/team/ranking?month={month:%Y-%m}#audit", status_code=303)


@router.get("/qa/audits")
def audit_queue(
    request: Request,
    me: Annotated[Principal, Depends(QA)],
    session: ReadDB,
    month_text: MonthText = None,
) -> Response:
    month = _month(request, month_text) if month_text else None
    return render(
        request,
        "qa_audits.html",
        me,
        rows=sample_rows(session, me, month),
        month=f"{month:%Y-%m}" if month else "",
    )


@router.get("/qa/audits/{sample_id}")
def audit_case(
    request: Request,
    sample_id: DbId,
    me: Annotated[Principal, Depends(CASE_READERS)],
    session: ReadDB,
) -> Response:
    row = visible_sample(session, me, sample_id)
    if row is None:
        raise HTTPException(404, _(_NOT_YOURS))
    zone = ZoneInfo(cw(request).settings.policy.timezone)
    return render(request, "qa_audit_case.html", me, row=row, evidence=evidence(session, row, zone))


Match = Literal["yes", "no"]


@router.post("/qa/audits/{sample_id}/verdict")
def audit_verdict(  # noqa: PLR0917 (the verdict form)
    request: Request,
    sample_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
    class_matches: Annotated[Match, Form()],
    notes_match: Annotated[Match, Form()],
    remark: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    row = visible_sample(session, me, sample_id)
    if row is None:
        raise HTTPException(404, _(_NOT_YOURS))
    if (class_matches == "no" or notes_match == "no") and not remark.strip():
        raise HTTPException(400, _("备注：请写明不符之处"))
    record_verdict(
        session,
        row.sample,
        class_matches == "yes",
        notes_match == "yes",
        remark.strip(),
        me.username,
        now(request),
    )
    return RedirectResponse(f"/qa/audits/{sample_id}", status_code=303)
