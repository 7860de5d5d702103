"""Team progress (issue 20 item 3): the figures per agent and team over a day, week or month
on a small history computed by hand, who sees which rows, the page with its charts' data
and its scripts (all from the console itself), and the XLSX and CSV read back."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from compliance.complaints import Channel, DueDays
from compliance.promises import PromiseStatus
from compliance.team_progress import (
    CaseRow,
    Granularity,
    Rows,
    Terms,
    period_of,
    progress,
    trend_days,
)
from console.i18n import use_locale
from console.progress import COLUMNS, Report, build_report, report_csv
from console.teams import set_supervisor
from console.users import add_user
from console.web.progress import ECHARTS
from store.complaints import NewComplaint, open_complaint
from store.enums import AttemptStatus, Role, Verdict
from store.models import (
    Agent,
    CallAttempt,
    Case,
    CollectionNote,
    Flag,
    Payment,
    PhoneNumber,
    ReviewVerdict,
    Team,
    User,
)
from store.qa import CALLEE_EVENTS
from store.team_progress import progress_rows
from tests.conftest import ROOT
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, PASSWORD, Seed, answered_call, console_app, seed_console

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)
"""Saturday 12:00 in Shanghai: the promises due on the 2nd and 3rd have come due."""
WEEK = (date(2026, 11, 30), date(2026, 12, 6))
ECHARTS_SHA256 = "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1"
TERMS = Terms(daily_target=80, coverage_days=2, calendar={}, zone=ZONE)


# -- the pure figures ---------------------------------------------------------------------


def test_periods_and_the_trend_days() -> None:
    tuesday = date(2026, 12, 1)
    assert period_of(tuesday, Granularity.DAY) == (tuesday, tuesday)
    assert period_of(tuesday, Granularity.WEEK) == WEEK
    assert period_of(tuesday, Granularity.MONTH) == (date(2026, 12, 1), date(2026, 12, 31))
    assert period_of(date(2026, 2, 14), Granularity.MONTH)[1] == date(2026, 2, 28)
    assert trend_days(*WEEK)[0] == WEEK[0] and len(trend_days(*WEEK)) == 7
    assert trend_days(tuesday, tuesday) == [tuesday - timedelta(days=6 - n) for n in range(7)]


def test_new_case_coverage_counts_working_days() -> None:
    """Imported Friday 2026-02-13: Saturday 02-14 is a 调休 working day, then the Spring
    Festival holiday runs to 02-23, so the second working day on is Tuesday 02-24 (calendar
    days would have said Sunday 02-15)."""
    friday = date(2026, 2, 13)

    def case(case_id: int, dialled: date | None) -> CaseRow:
        return CaseRow(1, case_id, f"ACC{case_id}", 100, friday, dialled)

    rows = Rows(cases=[case(1, date(2026, 2, 24)), case(2, date(2026, 2, 25)), case(3, None)])
    after = datetime(2026, 3, 2, 4, tzinfo=UTC)
    found = progress(rows, [1], friday, friday, now=after, terms=TERMS)[1]
    assert (found.new_cases, found.covered) == (3, 1)
    assert [c.case_id for c in found.missed] == [2, 3]
    assert found.coverage == pytest.approx(1 / 3)
    assert found.assigned_cents == 300
    # Before the deadline has passed, a case not dialled yet is not missed yet.
    during = datetime(2026, 2, 20, 4, tzinfo=UTC)
    early = progress(Rows(cases=[case(3, None)]), [1], friday, friday, now=during, terms=TERMS)
    assert (early[1].new_cases, early[1].covered, early[1].missed) == (1, 0, [])
    assert early[1].coverage is None


# -- a small history, on both databases ----------------------------------------------------


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    """The console's seed (A01 in T1 led by sup1, A02 in T2 led by sup2) and, in the week of
    Tuesday 2026-12-01 (Shanghai):

    - A01: cw07 on case C1 (Tue, 60 s, flagged, no note), a 30 s call on C1 that day whose
      note promises 500.00 by Thu 12-03 (300.00 is paid on Wed 12-02: partly kept), and an
      unanswered call on C2 on Wed (noted). A01 holds C1, imported Monday 11-30 (dialled in
      time), and C2. QA judged one of cw07's flags a penalty.
    - A02: a 45 s call on C3 on Tue, noted with a promise of 200.00 by Wed 12-02 (nothing
      paid: broken). A02 holds C3, and C4, imported Monday 11-30 and never dialled (missed);
      a complaint on C4 opened Thursday.
    Every other case: imported in October, held by no one.
    """
    app = console_app(db_url, tmp_path / "var")
    seeded = seed_console(app, ["cw07"])
    with app.sessions.begin() as session:
        add_user(session, "sup2", Role.SUPERVISOR, PASSWORD, "test")
        set_supervisor(session, "sup2", "T2", "test")
        a01, a02 = (_agent(session, code) for code in ("A01", "A02"))
        first = session.get_one(CallAttempt, seeded.attempts["cw07"])
        c1 = first.case_id
        c2, c3, c4 = session.scalars(
            select(Case.id).where(Case.id != c1).order_by(Case.id).limit(3)
        ).all()
        session.execute(
            update(Case).values(
                assigned_agent_id=None, imported_at=datetime(2026, 10, 1, tzinfo=UTC)
            )
        )
        monday = datetime(2026, 11, 30, 2, tzinfo=UTC)
        for case_id, agent, imported in ((c1, a01, monday), (c2, a01, None), (c3, a02, None)):
            _hold(session, case_id, agent, imported)
        _hold(session, c4, a02, monday)
        promised = _call(session, c1, a01, CALL_DAY + timedelta(hours=1), 30)
        _note(session, promised, 50_000, date(2026, 12, 3))
        missed = _call(session, c2, a01, CALL_DAY + timedelta(days=1), None)
        _note(session, missed, None, None)
        broken = _call(session, c3, a02, CALL_DAY + timedelta(hours=2), 45)
        _note(session, broken, 20_000, date(2026, 12, 2))
        session.add(_payment(c1, 30_000, date(2026, 12, 2)))
        session.add(_payment(c1, 99_900, date(2026, 11, 20)))  # before the week: not counted
        flag = session.scalars(
            select(Flag.id)
            .where(Flag.recording_id == seeded.recordings["cw07"])
            .where(Flag.category.not_in(CALLEE_EVENTS))
            .order_by(Flag.id)
        ).first()
        qa = session.scalars(select(User.id).where(User.username == "qa1")).one()
        session.add(ReviewVerdict(flag_id=flag, reviewer_id=qa, verdict=Verdict.PENALTY))
        new = NewComplaint(c4, Channel.PHONE, "催收员态度恶劣", "qa1")
        open_complaint(
            session, new, "qa1", CALL_DAY + timedelta(days=2), DueDays(7, 3, 1), "Asia/Shanghai"
        )
    yield seeded
    app.engine.dispose()


def _agent(session: Session, code: str) -> Agent:
    return session.scalars(select(Agent).where(Agent.code == code)).one()


def _hold(session: Session, case_id: int, agent: Agent, imported: datetime | None) -> None:
    case = session.get_one(Case, case_id)
    case.assigned_agent_id = agent.id
    if imported is not None:
        case.imported_at = imported


def _call(
    session: Session, case_id: int, agent: Agent, at: datetime, seconds: float | None
) -> CallAttempt:
    case = session.get_one(Case, case_id)
    number = session.scalars(
        select(PhoneNumber).where(PhoneNumber.person_id == case.debtor_id)
    ).first()
    assert number is not None
    call = answered_call(session, case_id, number, agent.id, at, seconds or 0)
    if seconds is None:
        call.status, call.answered_at = AttemptStatus.NO_ANSWER, None
    return call


def _note(session: Session, call: CallAttempt, cents: int | None, due: date | None) -> None:
    session.add(
        CollectionNote(
            case_id=call.case_id,
            call_attempt_id=call.id,
            agent_id=call.agent_id,
            outcome="promise" if cents else "no_answer",
            text="承诺还款" if cents else "未接",
            promised_amount_cents=cents,
            promised_date=due,
            created_at=call.reserved_at,
        )
    )


def _payment(case_id: int, cents: int, day: date) -> Payment:
    return Payment(
        case_id=case_id,
        amount_cents=cents,
        paid_on=day,
        channel="bank",
        reference=f"R{cents}",
        file_sha256="0" * 64,
        source_row=1,
        imported_by="test",
    )


class _Viewer:
    def __init__(self, user_id: int, role: Role) -> None:
        self.user_id, self.role = user_id, role


def _viewer(seed: Seed, username: str) -> _Viewer:
    with seed.app.sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return _Viewer(user.id, user.role)


def _report(seed: Seed, username: str, first: date = WEEK[0], last: date = WEEK[1]) -> Report:
    with seed.app.reads() as session:
        scope = progress_rows(
            session, _viewer(seed, username), trend_days(first, last)[0], last, ZONE
        )
    return build_report(scope, Granularity.WEEK, first, last, now=NOW, terms=TERMS)


def _amounts(seed: Seed) -> dict[str, int]:
    with seed.app.sessions() as session:
        held = session.execute(
            select(Agent.code, func.sum(Case.amount_overdue_cents))
            .join(Agent, Agent.id == Case.assigned_agent_id)
            .group_by(Agent.code)
        ).all()
        flags = session.scalar(
            select(func.count()).where(
                Flag.recording_id == seed.recordings["cw07"], Flag.category.not_in(CALLEE_EVENTS)
            )
        )
    return {**{code: int(cents) for code, cents in held}, "flags": int(flags or 0)}


def test_the_weeks_figures_equal_the_hand_count(seed: Seed) -> None:
    report = _report(seed, "admin1")
    held = _amounts(seed)
    assert [b.team.code if b.team else None for b in report.blocks] == ["T1", "T2"]
    (a01,), (a02,) = (b.lines for b in report.blocks)
    m = a01.measures
    assert (m.days_worked, m.cases_worked, m.target) == (2, 2, 160)
    assert (m.attempts, m.connected, m.talk_s, m.notes_owed) == (3, 2, 90.0, 1)
    assert m.contact_rate == pytest.approx(2 / 3)
    assert (m.promises, m.promised_cents) == (1, 50_000)
    assert m.promise_status == {PromiseStatus.PARTLY_KEPT: 1}
    assert (m.recovered_cents, m.assigned_cents) == (30_000, held["A01"])
    assert (m.new_cases, m.covered, m.missed, m.coverage) == (1, 1, [], 1.0)
    assert held["flags"] >= 1 and m.flags == held["flags"]
    assert m.flags_per_100 == pytest.approx(100 * held["flags"] / 3)
    assert m.verdicts == {Verdict.PENALTY.value: 1} and m.complaints == 0
    n = a02.measures
    assert (n.attempts, n.connected, n.talk_s, n.notes_owed, n.cases_worked) == (1, 1, 45.0, 0, 1)
    assert n.broken == 1 and n.kept == 0 and n.promised_cents == 20_000
    assert (n.recovered_cents, n.assigned_cents) == (0, held["A02"])
    assert (n.new_cases, n.covered, [c.account_no for c in n.missed]) == (
        1,
        0,
        [n.missed[0].account_no],
    )
    assert n.coverage == 0.0 and n.complaints == 1
    # The total is the sum; the trend has the week's days.
    t = report.total
    assert (t.attempts, t.connected, t.promises, t.new_cases, t.covered) == (4, 3, 2, 2, 1)
    assert [p.attempts for p in report.trend] == [0, 3, 1, 0, 0, 0, 0]
    assert [p.recovered_cents for p in report.trend] == [0, 0, 30_000, 0, 0, 0, 0]
    # A single day: only Wednesday's unanswered call; its trend is the week up to it.
    wednesday = _report(seed, "admin1", date(2026, 12, 2), date(2026, 12, 2))
    assert wednesday.total.attempts == 1 and wednesday.total.connected == 0
    assert len(wednesday.trend) == 7 and wednesday.trend[-2].attempts == 3


def test_each_viewer_sees_only_their_scope(seed: Seed) -> None:
    def agents(username: str) -> list[str]:
        report = _report(seed, username)
        return [line.agent.code for b in report.blocks for line in b.lines if line.agent]

    assert agents("admin1") == ["A01", "A02"]
    assert agents("sup1") == ["A01"]
    assert agents("sup2") == ["A02"]
    assert agents("agent1") == ["A01"]  # an agent: their own row
    sup1 = _report(seed, "sup1")
    assert sup1.total.attempts == 3 and sup1.total.promises == 1  # nothing of A02's leaks in


# -- the page, its scripts and the exports ------------------------------------------------


@pytest.fixture
def client(seed: Seed) -> TestClient:
    return console_client(seed.app, FakeDialer(seed.app), at=NOW)


def test_the_page_has_its_charts_data_and_only_its_own_scripts(
    seed: Seed, client: TestClient
) -> None:
    login(client, "sup1")
    page = client.get("/team/progress?period=week&date=2026-12-02")
    assert page.status_code == 200
    body = page.text
    assert "团队催收进度" in body and "Team progress" not in body
    assert "A01" in body and "A02" not in body
    scripts = re.findall(r"<script\b([^>]*)>", body)
    sources = [m for attrs in scripts for m in re.findall(r'src="([^"]*)"', attrs)]
    assert ECHARTS in sources and "/static/team_progress.js" in sources
    for src in sources:
        assert src.startswith("/") and not src.startswith("//"), src
        served = client.get(src)
        assert served.status_code == 200, src
    # Inline scripts are only data: the CSP (script-src 'self') would refuse anything else.
    inline = [a for a in scripts if "src=" not in a]
    assert inline == [' type="application/json" id="progress-data"']
    assert "script-src 'self'" in page.headers["content-security-policy"]
    asset = client.get(ECHARTS)
    assert hashlib.sha256(asset.content).hexdigest() == ECHARTS_SHA256
    block = re.search(r'id="progress-data">(.*?)</script>', body, re.S)
    assert block is not None
    data = json.loads(block.group(1))
    assert data["days"][0] == "2026-11-30" and len(data["days"]) == 7
    assert data["attempts"] == [0, 2, 1, 0, 0, 0, 0]
    assert data["recovered"] == [0, 0, 300.0, 0, 0, 0, 0]
    assert data["agents"] == ["A01"] and data["agent_attempts"] == [3]
    assert data["agent_cases_per_day"] == [1.0] and data["target_per_day"] == 80
    assert data["coverage"] == 100.0


def test_the_vendored_echarts_is_the_pinned_one_with_its_licence() -> None:
    vendor = ROOT / "console" / "web" / "static" / "vendor"
    name = ECHARTS.rsplit("/", 1)[1]
    assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == ECHARTS_SHA256
    assert "Apache License" in (vendor / "ECHARTS-LICENSE").read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "vendor-echarts.sh").read_text(encoding="utf-8")
    assert ECHARTS_SHA256 in script and "5.6.0" in name


def test_roles_on_the_progress_pages(seed: Seed, client: TestClient) -> None:
    for username, status in (("agent1", 200), ("admin1", 200), ("sup1", 200), ("qa1", 403)):
        other = console_client(seed.app, FakeDialer(seed.app), at=NOW)
        login(other, username)
        for url in ("/team/progress", "/team/progress.xlsx", "/team/progress.csv"):
            assert other.get(url).status_code == status, (username, url)
    login(client, "agent1")
    own = client.get("/team/progress?period=week&date=2026-12-01")
    assert "A01" in own.text and "A02" not in own.text
    assert client.get("/team/progress?period=year").status_code == 422
    assert client.get("/team/progress?date=2026-13-01").status_code == 422


def test_the_xlsx_and_csv_hold_the_table_formula_safe(seed: Seed, client: TestClient) -> None:
    with seed.app.sessions.begin() as session:
        team = session.scalars(select(Team).where(Team.code == "T2")).one()
        team.name = '=HYPERLINK("http://x","y")'
    login(client, "admin1")
    reply = client.get("/team/progress.xlsx?period=week&date=2026-12-01")
    assert reply.status_code == 200
    assert "team-progress-2026-11-30-week.xlsx" in reply.headers["content-disposition"]
    book = load_workbook(io.BytesIO(reply.content))
    sheet = book["团队进度"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == COLUMNS and rows[0][1] == "坐席"
    by_agent = {row[1]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    a01 = by_agent["A01 Agent A01"]
    assert a01["拨打次数"] == 3 and a01["接通"] == 2
    assert a01["通话时长(秒)"] == 90 and a01["部分履约"] == 1
    assert a01["回款(元)"] == 300 and a01["处罚"] == 1
    hostile = next(row for row in sheet.iter_rows() if str(row[0].value).startswith("'="))
    assert hostile[0].data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    totals = [row for row in rows[1:] if row[1] == "合计"]
    assert len(totals) == 2 and sum(int(str(r[5])) for r in totals) == 4
    missed = [[c.value for c in row] for row in book["未按时联系"].iter_rows()]
    assert missed[0][0] == "班组" and len(missed) == 2
    text = client.get("/team/progress.csv?period=week&date=2026-12-01").text
    assert text.startswith("\ufeff班组,坐席,")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    assert report_csv(_report(seed, "admin1")) == text
    with use_locale("en"):  # an English user's export speaks English, headers and all
        english = report_csv(_report(seed, "admin1"))
    assert english.startswith("\ufeffTeam,Agent,Days worked,") and ",Total," in english
