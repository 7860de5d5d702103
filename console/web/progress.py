"""Team progress (团队催收进度): ``/team/progress`` with its charts, and the same table as
XLSX and CSV. A supervisor sees their teams, an admin every team, an agent their own row:
:mod:`store.scope`'s rule, through :func:`store.team_progress.progress_rows`.

The charts are drawn by ECharts, served from the console's own ``/static`` (the console's
machines have no internet, and the page's CSP allows scripts from itself only); their
data travels in the page as a JSON block that no browser runs.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from compliance.team_progress import Granularity, Terms, period_of, trend_days
from console.bounds import day_in_range
from console.i18n import say, translated
from console.progress import (
    PERIOD_ZH,
    Report,
    build_report,
    chart_data,
    columns,
    missed,
    report_csv,
    report_xlsx,
    table,
)
from console.web.auth import PROGRESS, Principal
from console.web.inputs import FIELD_ZH
from console.web.pages import DB, ReadDB, cw, now, render
from store.audit import record_audit
from store.said import Said
from store.team_progress import progress_rows

router = APIRouter(prefix="/team")
ECHARTS = "/static/vendor/echarts-5.6.0.min.js"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(
    request: Request, me: Principal, session: DB, granularity: Granularity, day: date | None
) -> Report:
    app, at = cw(request), now(request)
    zone = ZoneInfo(app.settings.policy.timezone)
    if day is not None:
        try:
            day_in_range(day, Said(FIELD_ZH["date"]))
        except ValueError as exc:
            raise HTTPException(400, say(exc)) from exc
    first, last = period_of(day or at.astimezone(zone).date(), granularity)
    terms = Terms(
        app.settings.console.daily_case_target,
        app.settings.console.coverage_working_days,
        app.profile().calendar,
        zone,
    )
    scope = progress_rows(session, me, trend_days(first, last)[0], last, zone)
    return build_report(scope, granularity, first, last, now=at, terms=terms)


Period = Annotated[Granularity, Query(alias="period")]
Day = Annotated[date | None, Query(alias="date")]


@router.get("/progress")
def progress_page(
    request: Request,
    me: Annotated[Principal, Depends(PROGRESS)],
    session: ReadDB,
    period: Period = Granularity.WEEK,
    day: Day = None,
) -> Response:
    report = _report(request, me, session, period, day)
    return render(
        request,
        "team_progress.html",
        me,
        report=report,
        columns=columns(),
        rows=table(report),
        missed=missed(report),
        charts=chart_data(report),
        labels=translated(PERIOD_ZH),
        echarts=ECHARTS,
        query=f"period={report.granularity.value}&date={report.first.isoformat()}",
    )


def _export(
    me: Principal, session: DB, report: Report, kind: str, body: str | bytes, *, media: str
) -> Response:
    record_audit(
        session,
        me.username,
        "export.team_progress",
        object_type="report",
        detail={"format": kind, "from": report.first.isoformat(), "to": report.last.isoformat()},
    )
    name = f"team-progress-{report.first.isoformat()}-{report.granularity.value}.{kind}"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/progress.xlsx")
def progress_xlsx(
    request: Request,
    me: Annotated[Principal, Depends(PROGRESS)],
    session: DB,
    period: Period = Granularity.WEEK,
    day: Day = None,
) -> Response:
    report = _report(request, me, session, period, day)
    return _export(me, session, report, "xlsx", report_xlsx(report), media=XLSX)


@router.get("/progress.csv")
def progress_csv(
    request: Request,
    me: Annotated[Principal, Depends(PROGRESS)],
    session: DB,
    period: Period = Granularity.WEEK,
    day: Day = None,
) -> Response:
    report = _report(request, me, session, period, day)
    csv_text = report_csv(report)
    return _export(me, session, report, "csv", csv_text, media="text/csv; charset=utf-8")
