"""Team progress (团队催收进度跟进表) as people read it: the table per team with its total,
the data the page's charts draw, and the same table as CSV and XLSX (formula-safe).

The figures are :mod:`compliance.team_progress`'s, over the rows
:mod:`store.team_progress` read for the viewer's agents; this module only arranges them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from compliance.promises import PromiseStatus
from compliance.team_progress import (
    CaseRow,
    DayPoint,
    Granularity,
    Measures,
    Terms,
    progress,
    trend,
    trend_days,
)
from console.enum_names import VERDICT_ZH
from console.i18n import N_, _
from console.web.qa import csv_cell
from store.models import Agent, Team
from store.team_progress import ProgressScope

VERDICTS_ZH = VERDICT_ZH
COLUMNS = [
    N_("班组"),
    N_("坐席"),
    N_("出勤天数"),
    N_("作业案件"),
    N_("作业目标"),
    N_("拨打次数"),
    N_("接通"),
    N_("接通率"),
    N_("通话时长(秒)"),
    N_("待写记录"),
    N_("承诺还款"),
    N_("承诺金额(元)"),
    N_("已履约"),
    N_("部分履约"),
    N_("未履约"),
    N_("待到期"),
    N_("回款(元)"),
    N_("委案金额(元)"),
    N_("回款率"),
    N_("新案"),
    N_("按时联系"),
    N_("未按时联系"),
    N_("新案覆盖率"),
    N_("质检标记"),
    N_("每百通标记"),
    *VERDICTS_ZH.values(),
    N_("投诉"),
]
"""The table's columns, as catalog messages: :func:`columns` names them for the reader."""
MISSED_COLUMNS = [N_("班组"), N_("坐席"), N_("案件"), N_("账号"), N_("入案日")]
TOTAL = N_("合计")
PERIOD_ZH = {Granularity.DAY: N_("日"), Granularity.WEEK: N_("周"), Granularity.MONTH: N_("月")}
CHART_LABELS = {
    "trend": N_("每日趋势"),
    "calls": N_("通数"),
    "yuan": N_("元"),
    "attempts": N_("拨打次数"),
    "connected": N_("接通"),
    "promises": N_("承诺"),
    "recovered": N_("回款"),
    "target": N_("目标"),
    "agents": N_("坐席对比"),
    "cases_a_day": N_("日均作业案件"),
    "coverage": N_("新案覆盖率"),
    "in_time": N_("按时联系"),
}
"""The charts' words (static/team_progress.js reads them from the page's data block)."""


def columns() -> list[str]:
    """The table's header in the reader's language (page, CSV and XLSX alike)."""
    return [_(name) for name in COLUMNS]


@dataclass(frozen=True)
class Line:
    agent: Agent | None
    """None: the team's total."""
    measures: Measures


@dataclass
class TeamBlock:
    team: Team | None
    """None: agents in no team (only those who see every agent see them)."""
    lines: list[Line] = field(default_factory=list)
    total: Measures = field(default_factory=Measures)

    @property
    def label(self) -> str:
        if self.team is None:
            return _("未分组")
        return _("%(name)s（%(code)s）") % {"name": self.team.name, "code": self.team.code}


@dataclass(frozen=True)
class Report:
    granularity: Granularity
    first: date
    last: date
    blocks: list[TeamBlock]
    total: Measures
    trend: list[DayPoint]


def build_report(
    scope: ProgressScope,
    granularity: Granularity,
    first: date,
    last: date,
    *,
    now: datetime,
    terms: Terms,
) -> Report:
    """The period's table, team by team (by code), and the trend over :func:`trend_days`."""
    ids = [agent.id for agent in scope.agents]
    measures = progress(scope.rows, ids, first, last, now=now, terms=terms)
    blocks: dict[int | None, TeamBlock] = {team.id: TeamBlock(team) for team in scope.teams}
    total = Measures()
    for agent in scope.agents:
        block = blocks.get(agent.team_id) or blocks.setdefault(None, TeamBlock(None))
        mine = measures[agent.id]
        block.lines.append(Line(agent, mine))
        block.total.add(mine)
        total.add(mine)
    points = trend(scope.rows, ids, trend_days(first, last), terms.zone)
    return Report(granularity, first, last, list(blocks.values()), total, points)


def _ratio(value: float | None) -> float | str:
    return round(value, 4) if value is not None else ""


def cells(block: TeamBlock, line: Line) -> list[object]:
    """One row of the table: numbers as numbers, money in yuan, ratios as fractions."""
    m = line.measures
    who = f"{line.agent.code} {line.agent.name}" if line.agent else _(TOTAL)
    status = m.promise_status
    return [
        block.label,
        who,
        m.days_worked,
        m.cases_worked,
        m.target,
        m.attempts,
        m.connected,
        _ratio(m.contact_rate),
        round(m.talk_s),
        m.notes_owed,
        m.promises,
        m.promised_cents / 100,
        status[PromiseStatus.KEPT],
        status[PromiseStatus.PARTLY_KEPT],
        status[PromiseStatus.BROKEN],
        status[PromiseStatus.PENDING],
        m.recovered_cents / 100,
        m.assigned_cents / 100,
        _ratio(m.recovery_rate),
        m.new_cases,
        m.covered,
        len(m.missed),
        _ratio(m.coverage),
        m.flags,
        _ratio(m.flags_per_100),
        *(m.verdicts[v.value] for v in VERDICTS_ZH),
        m.complaints,
    ]


def table(report: Report) -> list[list[object]]:
    """Every agent's row, each team's total after its agents."""
    rows: list[list[object]] = []
    for block in report.blocks:
        rows.extend(cells(block, line) for line in block.lines)
        if block.lines:
            rows.append(cells(block, Line(None, block.total)))
    return rows


def missed(report: Report) -> list[tuple[TeamBlock, Agent, CaseRow]]:
    """The new cases not dialled in time, agent by agent."""
    return [
        (block, line.agent, case)
        for block in report.blocks
        for line in block.lines
        if line.agent is not None
        for case in line.measures.missed
    ]


def _missed_rows(report: Report) -> list[list[object]]:
    return [
        [block.label, f"{agent.code} {agent.name}", case.case_id, case.account_no, case.imported_on]
        for block, agent, case in missed(report)
    ]


def chart_data(report: Report) -> dict[str, object]:
    """What the page's charts draw (JSON): the day-by-day trend of everyone shown, each
    agent's work side by side, and the new-case coverage gauge."""
    agents = [
        (line.agent, line.measures)
        for block in report.blocks
        for line in block.lines
        if line.agent is not None
    ]
    coverage = report.total.coverage
    return {
        "days": [p.day.isoformat() for p in report.trend],
        "attempts": [p.attempts for p in report.trend],
        "connected": [p.connected for p in report.trend],
        "promises": [p.promises for p in report.trend],
        "recovered": [p.recovered_cents / 100 for p in report.trend],
        "agents": [a.code for a, _m in agents],
        "agent_attempts": [m.attempts for _a, m in agents],
        "agent_connected": [m.connected for _a, m in agents],
        "agent_cases_per_day": [
            round(m.cases_worked / m.days_worked, 1) if m.days_worked else 0 for _a, m in agents
        ],
        "target_per_day": report.total.target // report.total.days_worked
        if report.total.days_worked
        else None,
        "coverage": round(100 * coverage, 1) if coverage is not None else None,
        "labels": {key: _(name) for key, name in CHART_LABELS.items()},
    }


def report_csv(report: Report) -> str:
    """The table as CSV with a BOM (Excel reads the Chinese); text a spreadsheet could run
    as a formula (= + - @) is made text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns())
    writer.writerows([csv_cell(cell) for cell in row] for row in table(report))
    return "\ufeff" + buffer.getvalue()


def _sheet(sheet: Worksheet, header: list[str], rows: list[list[object]]) -> None:
    sheet.append(header)
    for row in rows:
        sheet.append(["" if value is None else value for value in row])
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and csv_cell(cell.value) != cell.value:
                # openpyxl writes a string that starts with "=" as a formula, which Excel
                # would run: the same "'" as the CSV's, and stored as text either way.
                cell.value = "'" + cell.value
                cell.data_type = "s"
    sheet.freeze_panes = "C2"


def report_xlsx(report: Report) -> bytes:
    """The table, and the new cases not dialled in time, as an XLSX workbook."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = _("团队进度")
    _sheet(sheet, columns(), table(report))
    missed_header = [_(name) for name in MISSED_COLUMNS]
    _sheet(book.create_sheet(_("未按时联系")), missed_header, _missed_rows(report))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
