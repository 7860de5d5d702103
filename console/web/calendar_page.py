"""The admin's calendar page: is every year the next 90 days need covered, and a checked way
to add the State Council's schedule for a year (the ``calendar add`` command's page).

Adding is two steps, as on paper: preview (the file is checked; the working days that
change are listed) and keep (checked again, then kept as a version). Nothing is kept by a
preview, and a file with any problem is never kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy.orm import Session

from compliance.errors import ProfileError
from compliance.problems import Problem
from console import editable
from console.calendar_years import KIND, CheckedYear, check_year, keep_year
from console.calendars import day_kind_named, day_named, report
from console.i18n import _
from console.web.auth import ADMIN, Principal
from console.web.pages import DB, ReadDB, cw, now, render

router = APIRouter(prefix="/admin/calendar")
SOURCE = Path("calendar.toml")
"""How problems name the pasted file (there is no path on the admin's side)."""
MAX_FILE = 100_000


def _page(  # noqa: PLR0917 (what the page shows)
    request: Request,
    me: Principal,
    session: Session,
    content: str = "",
    checked: CheckedYear | None = None,
    problems: list[Problem] | None = None,
    message: str = "",
    status_code: int = 200,
) -> Response:
    app = cw(request)
    profile = app.profile()
    today = now(request).astimezone(ZoneInfo(profile.timezone)).date()
    lines, covered = report(profile, today)
    years = sorted({int(p.stem.removeprefix("cn-")) for p in _kept_files(app.paths.calendars)})
    return render(
        request,
        "admin_calendar.html",
        me,
        status_code,
        status_lines=lines,
        covered=covered,
        content=content,
        checked=checked,
        problems=problems or [],
        message=message,
        versions=[v for year in years for v in editable.versions(session, KIND, f"cn-{year}")],
        day_named=day_named,
        day_kind_named=day_kind_named,
    )


def _kept_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("cn-[0-9][0-9][0-9][0-9].toml")) if folder.is_dir() else []


def _checked(request: Request, content: str) -> CheckedYear | list[Problem]:
    try:
        return check_year(SOURCE, content.encode("utf-8"), cw(request).profile())
    except ProfileError as exc:
        return exc.problems


@router.get("")
def calendar_page(
    request: Request, me: Annotated[Principal, Depends(ADMIN)], session: ReadDB
) -> Response:
    return _page(request, me, session)


@router.post("/preview")
def preview_year(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: ReadDB,
    content: Annotated[str, Form(max_length=MAX_FILE)] = "",
) -> Response:
    found = _checked(request, content)
    if isinstance(found, list):
        message = _("文件有误，未保存")
        return _page(request, me, session, content, None, found, message, 422)
    return _page(request, me, session, content, found)


@router.post("")
def add_year(
    request: Request,
    me: Annotated[Principal, Depends(ADMIN)],
    session: DB,
    content: Annotated[str, Form(max_length=MAX_FILE)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    found = _checked(request, content)  # again: the preview's page may be old or forged
    if isinstance(found, list):
        message = _("文件有误，未保存")
        return _page(request, me, session, content, None, found, message, 422)
    row = keep_year(session, cw(request).paths, found, me.username, note, now(request))
    session.flush()
    if row is None:
        message = _("%(name)s 最新版本内容相同，未改动") % {"name": found.name}
    else:
        message = _("已保存 %(name)s v%(n)s，即时生效") % {"name": found.name, "n": row.version}
    return _page(request, me, session, "", None, None, message)
