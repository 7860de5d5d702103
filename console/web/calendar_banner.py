"""The admins' warning that the statutory-holiday calendar is about to run out.

From ``WARN_DAYS`` (45) days before the first day no calendar covers (chinese-calendar or
an added year), every admin page says so, so the State Council's schedule is added before
calls are blocked. Reads the active profile's files (a few small TOML files) on each admin
page; other roles never pay for it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from compliance.errors import ProfileError
from compliance.policy.year_data import warning_due
from console.app import App
from console.calendars import needs_calendar
from console.i18n import _


def calendar_warning(app: App, at: datetime) -> str | None:
    """The banner's text, or None when nothing is due (or the profile itself is broken:
    the pages that load it say so)."""
    try:
        profile = app.profile()
    except ProfileError:
        return None
    if not needs_calendar(profile):
        return None
    today = at.astimezone(ZoneInfo(profile.timezone)).date()
    first = warning_due(today, profile.calendar)
    if first is None:
        return None
    days = (first - today).days
    message = _(
        "%(year)s 年法定节假日数据缺失：自 %(first)s 起（%(days)s 天后）所有外呼将被阻止。"
        "请在「法定节假日」页（/admin/calendar）或用 callwarden calendar add FILE "
        "录入国务院节假日安排。"
    )
    return message % {"year": first.year, "first": first, "days": days}
