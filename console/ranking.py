"""The monthly ranking (月度排名) as people read it, its CSV, and the month's reverse-audit
draw (倒查抽样), shared by the console's pages and ``callwarden ranking``.

The figures are team progress's (:func:`store.team_progress.progress_rows` read once for
the whole centre, :func:`compliance.team_progress.progress` over the month), ranked by
:func:`compliance.ranking.rank`; the ranking is the centre's, and each viewer sees the
rows of the agents :mod:`store.scope` lets them see, with their places in it.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from compliance.ranking import (
    Criterion,
    Figure,
    Findings,
    Measure,
    Ranked,
    Ranking,
    draw_cases,
    rank,
    ticket,
)
from compliance.team_progress import Granularity, Terms, period_of, progress
from config.ranking import RankingSettings
from console.app import App
from console.bounds import FIRST_DAY, LAST_DAY
from console.i18n import N_, _
from console.web.qa import csv_cell
from store.enums import Role
from store.models import Agent, AuditDraw, AuditSubject, Team
from store.ranking import NewDraw, Subject, audit_candidates, find_draw, month_findings, save_draw
from store.said import SaidError
from store.scope import Viewer, visible_agent_ids
from store.team_progress import progress_rows

MEASURE_ZH = {
    Measure.RECOVERED: N_("回款"),
    Measure.RECOVERY_RATE: N_("回款率"),
    Measure.CONTACT_RATE: N_("接通率"),
    Measure.CASES_WORKED: N_("作业案件"),
    Measure.PROMISES_KEPT: N_("已履约承诺"),
    Measure.TALK_TIME: N_("通话时长"),
    Measure.COVERAGE: N_("新案覆盖率"),
    Measure.FLAGS_PER_100: N_("每百通标记"),
    Measure.QA_FINDINGS: N_("质检成立"),
    Measure.COMPLAINTS: N_("投诉"),
}
"""Each ranking measure named (catalog messages; compliance.ranking.LABELS is the CLI's)."""


@dataclass(frozen=True)
class Centre:
    """The ranking is the whole centre's: its figures are read as an admin would see them,
    and what a viewer is shown is filtered by their own scope afterwards."""

    user_id: int = 0
    role: Role = Role.ADMIN


class RankingError(SaidError):
    """A month that cannot be ranked or drawn; the message says why."""


_FAR_MONTH = N_("月份：%(month)s 超出 %(first)s … %(last)s")


def parse_month(text: str) -> date:
    """``2026-11`` as the month's first day; RankingError otherwise."""
    if not re.fullmatch(r"\d{4}-\d{2}", text.strip()):
        raise RankingError(N_("月份：格式应为 YYYY-MM，而不是 %(text)r"), text=text[:20])
    try:
        first = date(int(text[:4]), int(text[5:7]), 1)
    except ValueError as exc:
        raise RankingError(N_("月份：没有这个月份：%(text)r"), text=text[:20]) from exc
    if not FIRST_DAY <= first <= LAST_DAY:
        # a month past the calendar's end has no month after it to count up to
        raise RankingError(_FAR_MONTH, month=text.strip(), first=FIRST_DAY, last=LAST_DAY)
    return first


def last_month(today: date) -> date:
    """The month before ``today``'s: the one a month-end ranking is about."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def criteria_of(settings: RankingSettings) -> list[Criterion]:
    return [
        Criterion(Measure(m.measure), Fraction(str(m.weight)), m.better == "higher")
        for m in settings.measures
    ]


def terms_of(app: App) -> Terms:
    return Terms(
        app.settings.console.daily_case_target,
        app.settings.console.coverage_working_days,
        app.profile().calendar,
        ZoneInfo(app.settings.policy.timezone),
    )


@dataclass(frozen=True)
class MonthRanking:
    month: date
    last: date
    criteria: list[Criterion]
    ranking: Ranking
    agents: dict[int, Agent]
    teams: dict[int, Team]


def month_ranking(
    session: Session, month: date, *, now: datetime, terms: Terms, settings: RankingSettings
) -> MonthRanking:
    """The centre's ranking of ``month`` on its figures as they stand at ``now``."""
    first, last = period_of(month, Granularity.MONTH)
    scope = progress_rows(session, Centre(), first, last, ZoneInfo(str(terms.zone)))
    ids = [agent.id for agent in scope.agents]
    measures = progress(scope.rows, ids, first, last, now=now, terms=terms)
    criteria = criteria_of(settings)
    codes = {agent.id: agent.code for agent in scope.agents}
    return MonthRanking(
        first,
        last,
        criteria,
        rank(measures, codes, criteria),
        {agent.id: agent for agent in scope.agents},
        {team.id: team for team in scope.teams},
    )


@dataclass(frozen=True)
class RankingView:
    """What one viewer is shown of a month's ranking, with the reverse audit's findings."""

    month: MonthRanking
    rows: list[Ranked]
    unranked: list[Agent]
    draw: AuditDraw | None
    findings: dict[int, tuple[AuditSubject, Findings]]

    def team_label(self, agent_id: int) -> str:
        agent = self.month.agents[agent_id]
        team = self.month.teams.get(agent.team_id) if agent.team_id else None
        return f"{team.name} ({team.code})" if team else _("未分组")


def ranking_view(session: Session, viewer: Viewer, month: MonthRanking) -> RankingView:
    seen = set(session.scalars(visible_agent_ids(viewer)))
    found = month_findings(session, month.month)
    return RankingView(
        month,
        [r for r in month.ranking.ranked if r.agent_id in seen],
        [month.agents[a] for a in month.ranking.unranked if a in seen],
        find_draw(session, month.month),
        {agent: item for agent, item in found.items() if agent in seen},
    )


def figure_text(measure: Measure, figure: Figure) -> str | float | int:
    """A figure as the table shows it: money in yuan, ratios as fractions, none as blank."""
    if figure is None:
        return ""
    if measure is Measure.RECOVERED:
        return figure / 100
    if isinstance(figure, float):
        return round(figure, 4)
    return figure


def header(view: RankingView) -> list[str]:
    """The table's header in the reader's language (page and CSV alike)."""
    return [
        _("名次"),
        _("班组"),
        _("坐席"),
        _("得分"),
        *(
            f"{_(MEASURE_ZH[c.measure])} ({'↑' if c.higher_is_better else '↓'})"
            for c in view.month.criteria
        ),
        _("倒查抽样"),
        _("已复核"),
        _("分类不符"),
        _("记录不符"),
    ]


def table(view: RankingView) -> list[list[object]]:
    """One row per ranked agent the viewer sees; the score as 0 … 100."""
    rows: list[list[object]] = []
    for ranked in view.rows:
        agent = view.month.agents[ranked.agent_id]
        audited = view.findings.get(ranked.agent_id)
        found = audited[1] if audited else None
        rows.append(
            [
                f"{ranked.position}/{len(view.month.ranking.ranked)}",
                view.team_label(ranked.agent_id),
                f"{agent.code} {agent.name}",
                round(float(ranked.score) * 100, 1),
                *(
                    figure_text(c.measure, f)
                    for c, f in zip(view.month.criteria, ranked.figures, strict=True)
                ),
                found.sampled if found else "",
                found.reviewed if found else "",
                found.class_mismatches if found else "",
                found.notes_mismatches if found else "",
            ]
        )
    return rows


def ranking_csv(view: RankingView) -> str:
    """The table as CSV with a BOM; text a spreadsheet could run as a formula is made text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header(view))
    writer.writerows([csv_cell(cell) for cell in row] for row in table(view))
    return "\ufeff" + buffer.getvalue()


@dataclass(frozen=True)
class DrawOutcome:
    draw: AuditDraw
    created: bool


def draw_month(
    session: Session,
    month: date,
    *,
    now: datetime,
    terms: Terms,
    settings: RankingSettings,
    seed: str,
    actor: str,
) -> DrawOutcome:
    """The month's reverse-audit draw: the one already made, or a new one of the bottom
    ``bottom_n`` collectors, ``sample_per_agent`` cases each. Only a month that is over on
    the centre's clock is drawn (its ranking could still change). ``seed`` empty: the
    configured one, else a random one kept with the draw."""
    existing = find_draw(session, month)
    if existing is not None:
        return DrawOutcome(existing, False)
    zone = ZoneInfo(str(terms.zone))
    if now.astimezone(zone).date() <= period_of(month, Granularity.MONTH)[1]:
        raise RankingError(N_("%(month)s 尚未结束：下月 1 日起才能抽取"), month=f"{month:%Y-%m}")
    ranked = month_ranking(session, month, now=now, terms=terms, settings=settings)
    seed = seed or settings.audit_seed or secrets.token_hex(16)
    subjects = []
    for row in ranked.ranking.bottom(settings.bottom_n):
        candidates = audit_candidates(session, row.agent_id, month, ranked.last, zone)
        cases = draw_cases(
            candidates,
            seed=seed,
            month=month,
            agent_id=row.agent_id,
            count=settings.sample_per_agent,
        )
        subjects.append(
            Subject(
                row.agent_id,
                row.position,
                float(row.score),
                len(candidates),
                [(case_id, ticket(seed, month, row.agent_id, case_id)) for case_id in cases],
            )
        )
    measures = [[m.measure, m.weight, m.better] for m in settings.measures]
    new = NewDraw(
        month,
        seed,
        settings.bottom_n,
        settings.sample_per_agent,
        len(ranked.ranking.ranked),
        measures,
        subjects,
    )
    try:
        with session.begin_nested():
            return DrawOutcome(save_draw(session, new, actor, now), True)
    except IntegrityError:
        # Another draw of the month was committed since we looked: that one stands.
        found = find_draw(session, month)
        if found is None:
            raise
        return DrawOutcome(found, False)
