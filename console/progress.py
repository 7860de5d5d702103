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
from console.web.qa import csv_cell
from store.enums import Verdict
from store.models import Agent, Team
from store.team_progress import ProgressScope

VERDICTS_ZH = {
    Verdict.FALSE_POSITIVE: "误报 False positive",
    Verdict.SUGGESTION: "建议 Suggestion",
    Verdict.RECTIFICATION: "责令整改 Rectification",
    Verdict.PENALTY: "处罚 Penalty",
}
COLUMNS = [
    "班组 Team",
    "坐席 Agent",
    "出勤天数 Days worked",
    "作业案件 Cases worked",
    "作业目标 Target",
    "拨打 Attempts",
    "接通 Connected",
    "接通率 Contact rate",
    "通话时长(秒) Talk time (s)",
    "待写记录 Notes owed",
    "承诺还款 Promises",
    "承诺金额(元) Promised (CNY)",
    "已履约 Kept",
    "部分履约 Partly kept",
    "未履约 Broken",
    "待到期 Pending",
    "回款(元) Recovered (CNY)",
    "委案金额(元) Assigned (CNY)",
    "回款率 Recovery rate",
    "新案 New cases",
    "按时联系 Covered",
    "未按时联系 Missed",
    "新案覆盖率 Coverage",
    "质检标记 Flags",
    "每百通标记 Flags per 100 calls",
    *VERDICTS_ZH.values(),
    "投诉 Complaints",
]
MISSED_COLUMNS = ["班组 Team", "坐席 Agent", "案件 Case", "账号 Account", "入案日 Imported on"]
TOTAL = "合计 Total"


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
        return f"{self.team.name} ({self.team.code})" if self.team else "未分组 No team"


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
    who = f"{line.agent.code} {line.agent.name}" if line.agent else TOTAL
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
        "agents": [a.code for a, _ in agents],
        "agent_attempts": [m.attempts for _, m in agents],
        "agent_connected": [m.connected for _, m in agents],
        "agent_cases_per_day": [
            round(m.cases_worked / m.days_worked, 1) if m.days_worked else 0 for _, m in agents
        ],
        "target_per_day": report.total.target // report.total.days_worked
        if report.total.days_worked
        else None,
        "coverage": round(100 * coverage, 1) if coverage is not None else None,
    }


def report_csv(report: Report) -> str:
    """The table as CSV with a BOM (Excel reads the Chinese); text a spreadsheet could run
    as a formula (= + - @) is made text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
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
    sheet.title = "团队进度 Progress"
    _sheet(sheet, COLUMNS, table(report))
    _sheet(book.create_sheet("未按时联系 Missed"), MISSED_COLUMNS, _missed_rows(report))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
