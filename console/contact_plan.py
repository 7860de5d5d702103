"""The contact plan (联系计划) as people read it: the heading that says what the cycle is,
the table's columns, and the CSV (formula-safe) that the console and the CLI both give."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from compliance.policy import Profile
from console.i18n import N_, gettext, in_language
from console.web.qa import csv_cell
from store.contact_plan import CYCLE_EN, CYCLE_ZH, PlanRow, PlanTerms, cycle_start

COLUMNS = [
    N_("案件"),
    N_("账号"),
    N_("委托方"),
    N_("坐席"),
    N_("周期起"),
    N_("联系债务人次数"),
    N_("接通"),
    N_("连续失败"),
    N_("违约承诺日"),
    N_("需调整策略"),
    N_("联系不足"),
    N_("原因"),
]
"""The table's and the CSV's columns (catalog messages: :func:`columns` names them)."""


def columns() -> list[str]:
    """The columns in the current language."""
    return [gettext(name) for name in COLUMNS]


@dataclass(frozen=True)
class Heading:
    """What the report covers, said once above it (and in the CSV's first lines)."""

    zh: str
    en: str

    @staticmethod
    def of(now: datetime, zone: str, terms: PlanTerms) -> Heading:
        start = cycle_start(now, zone).date()
        return Heading(
            f"联系计划：{CYCLE_ZH.format(start=start)}联系债务人少于 {terms.min_contacts} 次的"
            f"案件，以及违约或连续 {terms.failures} 次以上联系失败、需调整策略的案件"
            "（停催、结清、结案及特殊状态案件不列）",
            f"Contact plan: cases whose debtor was contacted fewer than {terms.min_contacts} "
            f"times {CYCLE_EN.format(start=start)}, and cases due a strategy change after a "
            f"default or {terms.failures}+ failed contacts in a row (cases on hold, paid, "
            "closed or in a special status are left out)",
        )


def terms_of(profile: Profile) -> PlanTerms:
    scheduling = profile.scheduling
    return PlanTerms(scheduling.plan_min_contacts, scheduling.strategy_change_after_failures)


def reasons_text(row: PlanRow, terms: PlanTerms) -> str:
    return in_language("；", "; ").join(in_language(zh, en) for zh, en in row.reasons(terms))


def cells(row: PlanRow, terms: PlanTerms) -> list[object]:
    return [
        row.case_id,
        row.account_no,
        row.client_bank,
        row.agent or "",
        row.cycle_start.isoformat(),
        row.contacts,
        row.connected,
        row.failed_in_a_row,
        row.broken_promise.isoformat() if row.broken_promise else "",
        gettext("是") if row.strategy_change else "",
        gettext("是") if row.short else "",
        reasons_text(row, terms),
    ]


def plan_csv(rows: list[PlanRow], terms: PlanTerms) -> str:
    """The report as CSV, one header row then one row per case (``cycle_from`` says where
    each case's cycle starts), with a BOM so that Excel reads the Chinese. Account numbers
    and agents' codes are others' text: a cell a spreadsheet could run as a formula
    (= + - @) is made text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns())
    writer.writerows([csv_cell(cell) for cell in cells(row, terms)] for row in rows)
    return "\ufeff" + buffer.getvalue()
