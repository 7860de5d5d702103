"""Calendar health: which years the active profile needs soon, and what covers each.

Pure: a profile and a day in, lines (and whether every year is covered) out, in the current
language (:mod:`console.i18n`: Chinese for the CLI). The ``calendar status`` command,
``policy check``, the admins' calendar page and banner all say it this way.
"""

from __future__ import annotations

from datetime import date

from compliance.policy import Profile
from compliance.policy.rule_specs import MinIntervalRule
from compliance.policy.year_data import (
    HORIZON_DAYS,
    WARN_DAYS,
    coverage,
    first_uncovered_day,
)
from console.i18n import N_, _

DAY_KIND_ZH = {
    "working day": N_("工作日"),
    "adjusted working day": N_("调休上班日"),
    "weekend": N_("周末"),
    "holiday": N_("节假日"),
    "unknown": N_("未知"),
}
"""What a day is (``compliance.policy.calendar.working_day_label``), named."""
WEEKDAY_ZH = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))
SOURCE_ZH = {"admin data": N_("管理员录入"), "chinese-calendar": "chinese-calendar"}
"""What covers a year (``compliance.policy.year_data.YearCover.source``), named."""


def day_kind_named(label: str) -> str:
    return _(DAY_KIND_ZH[label]) if label in DAY_KIND_ZH else label


def day_named(day: date) -> str:
    """``2027-02-06（周六）`` / ``2027-02-06 (Sat)``."""
    return _("%(day)s（%(weekday)s）") % {"day": day, "weekday": _(WEEKDAY_ZH[day.weekday()])}


def needs_calendar(profile: Profile) -> bool:
    """Whether a year no calendar covers blocks calls: a statutory-holiday rule, or spacing
    counted in working days (it cannot count them in an unknown year, and blocks)."""
    return any(
        rule.kind == "statutory_holidays"
        or (isinstance(rule, MinIntervalRule) and rule.working_days is not None)
        for rule in profile.rules
    )


def report(profile: Profile, today: date) -> tuple[list[str], bool]:
    """The lines saying which years the next 90 days need and what covers each; and
    whether all are covered."""
    if not needs_calendar(profile):
        none = _("节假日日历：%(profile)s 没有法定节假日规则，也不按工作日计间隔：无需日历")
        return [none % {"profile": profile.id}], True
    covers = coverage(today, profile.calendar)
    heading = _("%(ruleset)s 的节假日日历，自 %(today)s 起 %(days)s 天：")
    lines = [heading % {"ruleset": profile.ruleset, "today": today, "days": HORIZON_DAYS}]
    for cover in covers:
        if cover.source is not None:
            covered = _("%(year)s：已覆盖（%(source)s）")
            source = _(SOURCE_ZH.get(cover.source, cover.source))
            lines.append("  " + covered % {"year": cover.year, "source": source})
        else:
            missing = _(
                "%(year)s：未覆盖：自 %(day)s 起所有电话都会被拦截（没有法定节假日日历）；"
                "请用 `callwarden calendar add FILE` 录入国务院的节假日安排"
            )
            lines.append("  " + missing % {"year": cover.year, "day": date(cover.year, 1, 1)})
    first = first_uncovered_day(today, covers)
    if first is not None:
        warning = _(
            "注意：距第一个未覆盖的日子（%(first)s）还有 %(days)s 天；"
            "控制台提前 %(warn)s 天提醒管理员"
        )
        days = (first - today).days
        lines.append("  " + warning % {"first": first, "days": days, "warn": WARN_DAYS})
    return lines, first is None
