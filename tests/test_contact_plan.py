"""The contact plan (联系计划, issue 19 item 3): debtors contacted fewer than 6 times this
cycle, cases due a strategy change (3+ failed contacts in a row, or a default), scoped by
store.scope, on the console for team leads, as CSV and from the CLI."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from console.app import App
from console.contact_plan import columns, plan_csv
from store.contact_plan import PlanRow, PlanTerms, contact_plan, cycle_start
from store.enums import AttemptStatus, CaseStatus, Direction, HoldReason, Role
from store.models import Agent, AuditLog, Case, CollectionNote, Hold, User
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets
from tests.test_cli import run
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import console_app, seed_console

SHANGHAI = ZoneInfo("Asia/Shanghai")
ZONE = "Asia/Shanghai"
NOW = datetime(2026, 12, 15, 10, tzinfo=SHANGHAI)
TERMS = PlanTerms(min_contacts=6, failures=3)


def cn(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: Role


@dataclass(frozen=True)
class Book:
    app: App
    enough: int
    """A01's case: 6 debtor calls this month, the last answered: not listed."""
    short: int
    """A01's case, imported on 12-10: 3 debtor calls since (2 before do not count)."""
    failing: int
    """A02's case: answered on 12-01, then 3 failures (a blocked dial and one in flight
    between them do not count)."""
    broken: int
    """Nobody's case: promised to pay on 12-10, still promised."""
    held: int
    paid: int

    def viewer(self, username: str) -> Viewer:
        with self.app.sessions() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            return Viewer(user.id, user.role)


def _one_per_case(targets: list[Target]) -> list[Target]:
    seen: dict[int, Target] = {}
    for target in targets:
        seen.setdefault(target.case_id, target)
    return list(seen.values())


@pytest.fixture
def book(db_url: str, tmp_path: Path) -> Iterator[Book]:
    app = console_app(db_url, tmp_path / "var")
    seed_console(app, [])
    sessions = app.sessions
    families = {t.case_id: t for t in contact_targets(sessions, "family")}
    debtors = [t for t in _one_per_case(debtor_targets(sessions)) if t.case_id in families]
    enough, short, failing, broken, held, paid = debtors[:6]
    with sessions.begin() as session:
        agents = {a.code: a.id for a in session.scalars(select(Agent))}
        session.execute(update(Case).values(imported_at=cn(11, 1), assigned_agent_id=None))
        for target, agent in ((enough, "A01"), (short, "A01"), (failing, "A02")):
            session.execute(
                update(Case)
                .where(Case.id == target.case_id)
                .values(assigned_agent_id=agents[agent])
            )
        session.execute(update(Case).where(Case.id == short.case_id).values(imported_at=cn(12, 10)))
        session.execute(
            update(Case).where(Case.id == broken.case_id).values(status=CaseStatus.PROMISED)
        )
        session.execute(update(Case).where(Case.id == paid.case_id).values(status=CaseStatus.PAID))
        session.add(Hold(case_id=held.case_id, reason=HoldReason.COMPLAINT_TENDENCY, placed_by="t"))
        session.add(
            CollectionNote(
                case_id=broken.case_id,
                agent_id=agents["A01"],
                outcome="promise_to_pay",
                promised_amount_cents=10_000,
                promised_date=date(2026, 12, 10),
                text="承诺 12 月 10 日还款",
                created_at=cn(12, 2),
            )
        )
    # enough: 5 unanswered and 1 answered this month, 1 last month (not this cycle)
    add_attempts(sessions, enough, [cn(11, 28)], AttemptStatus.NO_ANSWER)
    add_attempts(sessions, enough, [cn(12, d) for d in (1, 2, 3, 4, 7)], AttemptStatus.NO_ANSWER)
    add_attempts(sessions, enough, [cn(12, 8)], AttemptStatus.ANSWERED)
    # a third party's failures after it: contacts of the case, not of its debtor
    add_attempts(sessions, families[enough.case_id], [cn(12, 9)], AttemptStatus.NO_ANSWER)
    # short: two calls before its import, three after (one a refused dial: not a contact)
    add_attempts(sessions, short, [cn(12, 2), cn(12, 3)], AttemptStatus.NO_ANSWER)
    add_attempts(sessions, short, [cn(12, 10), cn(12, 11)], AttemptStatus.ANSWERED)
    add_attempts(sessions, short, [cn(12, 14)], AttemptStatus.BUSY)
    add_attempts(sessions, short, [cn(12, 14, 11)], AttemptStatus.BLOCKED)
    # failing: answered, then no answer, busy, a refused dial, failed, one in flight
    add_attempts(sessions, failing, [cn(12, 1)], AttemptStatus.ANSWERED)
    add_attempts(sessions, failing, [cn(12, 2)], AttemptStatus.NO_ANSWER)
    add_attempts(sessions, failing, [cn(12, 3)], AttemptStatus.BUSY)
    add_attempts(sessions, failing, [cn(12, 3, 11)], AttemptStatus.BLOCKED)
    add_attempts(sessions, failing, [cn(12, 4)], AttemptStatus.FAILED)
    add_attempts(sessions, failing, [cn(12, 15, 9)], AttemptStatus.RESERVED)
    for gone in (held, paid):  # nobody may call them: no plan applies, however short
        add_attempts(sessions, gone, [cn(12, d) for d in (1, 2, 3)], AttemptStatus.NO_ANSWER)
    yield Book(
        app,
        enough.case_id,
        short.case_id,
        failing.case_id,
        broken.case_id,
        held.case_id,
        paid.case_id,
    )
    app.engine.dispose()


def plan_of(book: Book, username: str, now: datetime = NOW) -> dict[int, PlanRow]:
    with book.app.sessions() as session:
        rows = contact_plan(session, book.viewer(username), now, ZONE, TERMS)
    return {row.case_id: row for row in rows}


def test_cycle_is_the_centres_month() -> None:
    assert cycle_start(NOW, ZONE) == cn(12, 1, 0)
    # 23:30 UTC on 11-30 is already December in Shanghai
    assert cycle_start(datetime(2026, 11, 30, 16, 30, tzinfo=ZoneInfo("UTC")), ZONE) == cn(12, 1, 0)


def test_the_plan_lists_the_short_and_the_cases_due_a_strategy_change(book: Book) -> None:
    plan = plan_of(book, "admin1")
    assert book.enough not in plan
    assert book.held not in plan and book.paid not in plan
    short = plan[book.short]
    assert (short.contacts, short.connected, short.cycle_start) == (3, 2, date(2026, 12, 10))
    assert short.short and not short.strategy_change
    assert short.failed_in_a_row == 1
    failing = plan[book.failing]
    assert failing.failed_in_a_row == 3 and failing.strategy_change
    assert failing.contacts == 5  # placed calls to the debtor this month, the refused one not
    assert "连续 3 次联系失败，需调整策略" in [zh for zh, _ in failing.reasons(TERMS)]
    broken = plan[book.broken]
    assert broken.broken_promise == date(2026, 12, 10) and broken.strategy_change
    assert broken.agent is None and broken.contacts == 0
    (zh, en), _ = broken.reasons(TERMS)[:2]
    assert "违约" in zh and "broken (default)" in en
    # strategy changes first, then the fewest contacts
    order = list(plan)
    assert order.index(book.failing) < order.index(book.short)
    assert order.index(book.broken) < order.index(book.short)


def test_an_answered_call_either_way_ends_a_run_of_failures(book: Book) -> None:
    debtor = next(t for t in debtor_targets(book.app.sessions) if t.case_id == book.failing)
    add_attempts(book.app.sessions, debtor, [cn(12, 5)], AttemptStatus.ANSWERED, Direction.INBOUND)
    assert not plan_of(book, "admin1")[book.failing].strategy_change  # still short: listed
    add_attempts(book.app.sessions, debtor, [cn(12, 8), cn(12, 9)], AttemptStatus.NO_ANSWER)
    assert book.failing not in plan_of(book, "admin1")  # 7 contacts, 2 failures: nothing due
    add_attempts(book.app.sessions, debtor, [cn(12, 10)], AttemptStatus.NO_ANSWER)
    assert plan_of(book, "admin1")[book.failing].failed_in_a_row == 3


def test_a_promise_due_today_is_no_default_yet_and_next_month_starts_afresh(book: Book) -> None:
    assert plan_of(book, "admin1", cn(12, 10, 23))[book.broken].broken_promise is None
    january = plan_of(book, "admin1", NOW + timedelta(days=20))
    assert january[book.short].contacts == 0
    assert january[book.short].cycle_start == date(2027, 1, 1)


def test_a_lead_sees_their_teams_cases_an_admin_all(book: Book) -> None:
    lead = plan_of(book, "sup1")  # T1: A01
    assert set(lead) == {book.short}
    admin = plan_of(book, "admin1")
    assert {book.short, book.failing, book.broken} <= set(admin)
    with book.app.sessions.begin() as session:
        session.add(User(username="sup0", password_hash="x", role=Role.SUPERVISOR))
    assert plan_of(book, "sup0") == {}


def test_csv_is_formula_safe() -> None:
    row = PlanRow(
        1, '=HYPERLINK("http://x")', "@BANK", "+A1", date(2026, 12, 1), 2, 0, 0, None, True, False
    )
    text = plan_csv([row], TERMS)
    assert text.startswith("\ufeff")
    header, first = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header == columns() and header[0] == "案件"
    assert first[1] == '\'=HYPERLINK("http://x")'
    assert first[2] == "'@BANK" and first[3] == "'+A1"
    assert first[5] == "2"  # a number stays a number


def test_console_page_and_csv_for_leads_only(book: Book) -> None:
    client = console_client(book.app, FakeDialer(book.app), at=NOW)
    login(client, "sup1")
    page = client.get("/team/plan")
    assert page.status_code == 200
    assert "本月（自 2026-12-01 起" in page.text and "from 2026-12-01" not in page.text
    with book.app.sessions() as session:
        accounts = {c.id: c.account_no for c in session.scalars(select(Case))}
    assert accounts[book.short] in page.text
    assert accounts[book.failing] not in page.text  # A02's case: T2, not sup1's team
    reply = client.get("/team/plan.csv")
    assert reply.status_code == 200
    assert 'filename="contact-plan-2026-12.csv"' in reply.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(reply.text.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == [str(book.short)]
    with book.app.sessions() as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "export.contact_plan"))
        assert [a.actor for a in audit] == ["sup1"]
    agent = console_client(book.app, FakeDialer(book.app), at=NOW)
    login(agent, "agent1")
    assert agent.get("/team/plan").status_code == 403
    assert agent.get("/team/plan.csv").status_code == 403


def test_cli_plan(book: Book, db_url: str, tmp_path: Path) -> None:
    at = ["--at", "2026-12-15 10:00"]
    shown = run(["plan", *at], tmp_path, db_url)
    assert shown.returncode == 0, shown.stderr
    assert "联系计划" in shown.stdout and "Contact plan" in shown.stdout
    assert "需调整策略" in shown.stdout
    lead = run(["plan", *at, "--lead", "sup1", "--csv", "-"], tmp_path, db_url)
    assert lead.returncode == 0, lead.stderr
    rows = list(csv.reader(io.StringIO(lead.stdout.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:]] == [str(book.short)]
    wrong = run(["plan", "--lead", "agent1"], tmp_path, db_url)
    assert wrong.returncode == 2 and "--lead" in wrong.stderr
