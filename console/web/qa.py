"""The QA inspector's pages (质检): flag queue, call page, verdicts, spot checks, report, CSV."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from console.bounds import day_in_range
from console.enum_names import VERDICT_ZH, category_named, named
from console.i18n import _, say, translated
from console.web.auth import QA, Principal
from console.web.chart import bar_chart
from console.web.inputs import FIELD_ZH, DbId
from console.web.pages import DB, ReadDB, cw, now, render
from store.audit import record_audit
from store.call_view import call_view
from store.enums import Speaker, SpotCheckResult, Verdict
from store.models import Agent, Flag, PhoneNumber, Recording, User
from store.note_drafts import note_of_attempt
from store.pii import mask_text
from store.qa import (
    QueueFilter,
    agent_reports,
    categories_in,
    flag_queue,
    give_verdict,
    record_spot_check,
    recordings_needing_attention,
    spot_check_sample,
)
from store.said import Said

router = APIRouter(prefix="/qa")
VERDICT_LABELS = VERDICT_ZH


def _day(text: str | None, field: str) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise HTTPException(
            400,
            _("%(field)s：日期格式应为 YYYY-MM-DD：%(text)r")
            % {"field": _(FIELD_ZH[field]), "text": text},
        ) from exc
    try:
        return day_in_range(day, Said(FIELD_ZH[field]))
    except ValueError as exc:
        raise HTTPException(400, say(exc)) from exc


Period = tuple[datetime | None, datetime | None]


def period(
    request: Request,
    since: Annotated[str | None, Query(alias="from")] = None,
    until: Annotated[str | None, Query(alias="to")] = None,
) -> Period:
    """The from/to fields, calendar days on the centre's clock, as UTC instants (to inclusive)."""
    zone = ZoneInfo(cw(request).settings.policy.timezone)
    first, last = _day(since, "from"), _day(until, "to")
    start = datetime.combine(first, time(), zone) if first else None
    end = datetime.combine(last + timedelta(days=1), time(), zone) if last else None
    return start, end


def _severity(text: str) -> int | None:
    if not text.strip():
        return None  # the form's empty field: any severity
    # Not isdigit(): "²" is a digit to it, and int() then raises.
    if not re.fullmatch(r"[1-5]", text.strip()):
        raise HTTPException(
            400, _("严重度须为 1 到 5 的整数，而不是 %(text)r") % {"text": text[:40]}
        )
    return int(text)


def queue_filter(
    days: Annotated[Period, Depends(period)],
    category: str = "",
    severity: str = "",
    agent: str = "",
    unreviewed: bool = False,
) -> QueueFilter:
    """The queue's filter form, shared by the page and its CSV export."""
    return QueueFilter(category or None, _severity(severity), agent or None, *days, unreviewed)


@router.get("")
def queue(
    request: Request,
    me: Annotated[Principal, Depends(QA)],
    session: ReadDB,
    wanted: Annotated[QueueFilter, Depends(queue_filter)],
) -> Response:
    return render(
        request,
        "qa_queue.html",
        me,
        rows=flag_queue(session, wanted),
        attention=recordings_needing_attention(session),
        categories=sorted(set(session.scalars(select(Flag.category).distinct()))),
        agents=list(session.scalars(select(Agent.code).order_by(Agent.code))),
        form=request.query_params,
        query=request.url.query,
        labels=translated(VERDICT_LABELS),
    )


@router.get("/calls/{recording_id}")
def call_page(
    request: Request,
    recording_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: ReadDB,
) -> Response:
    view = call_view(session, recording_id)
    if view is None:
        raise HTTPException(404, _("没有这通电话"))
    note = note_of_attempt(session, view.attempt.id) if view.attempt else None
    return render(
        request,
        "qa_call.html",
        me,
        call=view,
        labels=translated(VERDICT_LABELS),
        unmasked=None,
        note=note,
    )


@router.post("/calls/{recording_id}/unmask")
def unmask_number(
    request: Request,
    recording_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
) -> Response:
    """Show the full number on this page once, and write down who saw it."""
    view = call_view(session, recording_id)
    if view is None or view.attempt is None:
        raise HTTPException(404, _("这通电话没有已知号码"))
    record_audit(
        session,
        me.username,
        "pii.unmask",
        object_type="call_attempt",
        object_id=str(view.attempt.id),
        detail={"field": "phone", "page": f"/qa/calls/{recording_id}"},
    )
    number = view.attempt.e164
    if view.attempt.phone_number_id:
        number = session.get_one(PhoneNumber, view.attempt.phone_number_id).e164
    note = note_of_attempt(session, view.attempt.id)
    return render(
        request,
        "qa_call.html",
        me,
        call=view,
        labels=translated(VERDICT_LABELS),
        unmasked=number,
        note=note,
    )


@router.post("/flags/{flag_id}/verdict")
def verdict(  # noqa: PLR0917 (the verdict form)
    request: Request,
    flag_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
    verdict: Annotated[Verdict, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    flag = session.get(Flag, flag_id)
    if flag is None:
        raise HTTPException(404, _("没有这个标记"))
    give_verdict(
        session, flag_id, session.get_one(User, me.user_id), verdict, note.strip(), now(request)
    )
    return RedirectResponse(f"/qa/calls/{flag.recording_id}#flag-{flag_id}", status_code=303)


@router.get("/spot-checks")
def spot_checks(
    request: Request,
    me: Annotated[Principal, Depends(QA)],
    session: ReadDB,
) -> Response:
    settings = cw(request).settings.console
    drawn = spot_check_sample(session, settings.spot_check_rate)
    return render(request, "qa_spot.html", me, drawn=drawn, rate=settings.spot_check_rate)


@router.post("/calls/{recording_id}/spot-check")
def spot_check(  # noqa: PLR0917 (the review form)
    request: Request,
    recording_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
    result: Annotated[SpotCheckResult, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if session.get(Recording, recording_id) is None:
        raise HTTPException(404, _("没有这通电话"))
    if result is SpotCheckResult.ISSUE and not note.strip():
        raise HTTPException(400, _("说明：请写明问题是什么"))
    record_spot_check(
        session, recording_id, session.get_one(User, me.user_id), result, note.strip(), now(request)
    )
    return RedirectResponse(f"/qa/calls/{recording_id}", status_code=303)


@router.get("/report")
def report(
    request: Request,
    me: Annotated[Principal, Depends(QA)],
    session: ReadDB,
    days: Annotated[Period, Depends(period)],
) -> Response:
    reports = agent_reports(session, *days)
    categories = categories_in(reports)
    chart = bar_chart(
        [(r.agent, [r.flags.get(c, 0) for c in categories]) for r in reports],
        [category_named(c) for c in categories],
    )
    return render(
        request,
        "qa_report.html",
        me,
        reports=reports,
        categories=categories,
        verdicts=list(Verdict),
        labels=translated(VERDICT_LABELS),
        chart=chart,
        form=request.query_params,
        query=request.url.query,
    )


# A spreadsheet takes a cell starting with one of these as a formula (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: also after leading blanks,
    controls or invisible marks (which it skips), and in the full-width forms ＝＋－＠ that
    CJK input methods type and Excel reads as the ASCII ones (NFKC folds them)."""
    if text.startswith(_FORMULA_START):
        return True
    start = next((char for char in text if not _skipped(char)), "")
    return unicodedata.normalize("NFKC", start).startswith(_FORMULA_START)


def _skipped(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) in ("Cc", "Cf")


def csv_cell(value: object) -> object:
    """A text cell that a spreadsheet could run as a formula, prefixed with ``'`` so it shows
    as text; numbers are left as numbers (a negative count is not an attack)."""
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def _csv(name: str, header: list[str], rows: list[list[object]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # Agent codes, categories and evidence are text others typed or said: none is trusted.
    writer.writerow([csv_cell(cell) for cell in header])
    writer.writerows([csv_cell(cell) for cell in row] for row in rows)
    # A BOM so that Excel, which most QA teams open these in, reads the Chinese right.
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/report.csv")
def report_csv(
    me: Annotated[Principal, Depends(QA)],
    session: DB,
    days: Annotated[Period, Depends(period)],
) -> Response:
    reports = agent_reports(session, *days)
    categories = categories_in(reports)
    verdicts = [_(VERDICT_LABELS[v]) for v in Verdict]
    named = [category_named(c) for c in categories]
    header = [_("坐席"), _("通话"), _("已质检"), _("标记"), *named, *verdicts]
    rows: list[list[object]] = [
        [r.agent, r.calls, r.calls_reviewed, r.flag_total]
        + [r.flags.get(c, 0) for c in categories]
        + [r.verdicts.get(v.value, 0) for v in Verdict]
        for r in reports
    ]
    record_audit(
        session, me.username, "export.report", object_type="report", detail={"rows": len(rows)}
    )
    return _csv("qa-report.csv", header, rows)


def _stored_name(vocabulary: type[StrEnum], value: str | None) -> str:
    """A stored value named as the pages name it; one the vocabulary lacks, as it is."""
    if not value:
        return ""
    try:
        return named(vocabulary(value))
    except ValueError:
        return value


@router.get("/flags.csv")
def flags_csv(
    request: Request,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
    wanted: Annotated[QueueFilter, Depends(queue_filter)],
) -> Response:
    rows = flag_queue(session, wanted)
    zone = ZoneInfo(cw(request).settings.policy.timezone)
    record_audit(
        session, me.username, "export.flags", object_type="flags", detail={"rows": len(rows)}
    )
    return _csv(
        "qa-flags.csv",
        [
            _("标记"),
            _("通话"),
            _("通话时间"),
            _("坐席"),
            _("类别"),
            _("严重度"),
            _("说话人"),
            _("位置（秒）"),
            _("质检结论"),
            _("所说内容"),
        ],
        [
            [
                r.flag_id,
                r.recording_id,
                r.call_at.astimezone(zone).isoformat(timespec="seconds"),
                r.agent or "",
                category_named(r.category),
                r.severity,
                _stored_name(Speaker, r.speaker),
                f"{r.start_s:.1f}",
                _stored_name(Verdict, r.verdict),
                mask_text(r.evidence),
            ]
            for r in rows
        ],
    )
