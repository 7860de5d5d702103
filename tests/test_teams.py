"""Teams (班组) and supervisors (班组长): who sees whom, today's counters, the team page, the
``callwarden team`` commands, the demo's teams and the migration that brings them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from console import cli
from console.demo import DEMO_LEAD, _ensure_demo_agents, ensure_demo_users
from console.errors import UserError
from console.teams import add_team, set_supervisor
from console.users import add_user
from store.db import make_engine
from store.enums import AttemptStatus, Role
from store.migrate import head_revision, upgrade
from store.models import Agent, CallAttempt, CollectionNote, Flag, Hold, PhoneNumber, Team, User
from store.qa import CALLEE_EVENTS
from store.scope import visible_agent_ids, visible_agents, visible_teams
from store.team_day import Counters, agent_detail, day_window, team_days
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, PASSWORD, Seed, answered_call, console_app, seed_console

ZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class Viewer:
    user_id: int
    role: Role


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    """The console's seed (A01 in T1, led by sup1; A02 in T2) with two of A01's calls that day
    (an impersonation, a complaint that put its case on hold), and around them: sup2 leading
    T2, sup0 leading nothing, an A02 call of 45 s, a blocked dial, a call the day before
    that still has no note, and a note on A01's first call."""
    app = console_app(db_url, tmp_path / "var")
    seeded = seed_console(app, ["cw07", "cw34"])
    with app.sessions.begin() as session:
        for name in ("sup2", "sup0"):
            add_user(session, name, Role.SUPERVISOR, PASSWORD, "test")
        set_supervisor(session, "sup2", "T2", "test")
        a01, a02 = (_agent(session, code) for code in ("A01", "A02"))
        first = session.get_one(CallAttempt, seeded.attempts["cw07"])
        number = session.get_one(PhoneNumber, first.phone_number_id)
        answered_call(session, first.case_id, number, a02.id, CALL_DAY + timedelta(hours=1), 45)
        blocked = answered_call(session, first.case_id, number, a01.id, CALL_DAY, 0)
        blocked.status, blocked.answered_at = AttemptStatus.BLOCKED, None
        answered_call(session, first.case_id, number, a01.id, CALL_DAY - timedelta(days=1), 30)
        session.add(
            CollectionNote(
                case_id=first.case_id,
                call_attempt_id=first.id,
                agent_id=a01.id,
                outcome="negotiating",
                text="协商中",
                created_at=CALL_DAY,
            )
        )
    yield seeded
    app.engine.dispose()


def _agent(session: Session, code: str) -> Agent:
    return session.scalars(select(Agent).where(Agent.code == code)).one()


def _viewer(seed: Seed, username: str) -> Viewer:
    with seed.app.sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return Viewer(user.id, user.role)


def _codes(seed: Seed, viewer: Viewer) -> tuple[set[str], set[str]]:
    with seed.app.sessions() as session:
        agents = set(session.scalars(select(Agent.code).where(visible_agents(viewer))))
        teams = set(session.scalars(select(Team.code).where(visible_teams(viewer))))
        by_id = set(
            session.scalars(select(Agent.code).where(Agent.id.in_(visible_agent_ids(viewer))))
        )
    assert by_id == agents  # the two spellings of the rule agree
    return agents, teams


def test_the_scope_rule_per_role(seed: Seed) -> None:
    expected = {
        "admin1": ({"A01", "A02"}, {"T1", "T2"}),
        "qa1": ({"A01", "A02"}, {"T1", "T2"}),
        "sup1": ({"A01"}, {"T1"}),
        "sup2": ({"A02"}, {"T2"}),
        "sup0": (set(), set()),
        "agent1": ({"A01"}, {"T1"}),
        "agent2": ({"A02"}, {"T2"}),
    }
    for username, (agents, teams) in expected.items():
        assert _codes(seed, _viewer(seed, username)) == (agents, teams), username
    # A supervisor who leads both teams sees both; one who stops leading one sees the other.
    with seed.app.sessions.begin() as session:
        set_supervisor(session, "sup1", "T2", "test")
    assert _codes(seed, _viewer(seed, "sup1"))[0] == {"A01", "A02"}
    with seed.app.sessions.begin() as session:
        set_supervisor(session, "sup1", "T1", "test", leads=False)
    assert _codes(seed, _viewer(seed, "sup1"))[0] == {"A02"}


def _expected_a01(seed: Seed) -> Counters:
    """A01's day read straight from the rows: two answered 60 s calls, their flags."""
    with seed.app.sessions() as session:
        flags = session.scalar(
            select(func.count()).where(
                Flag.recording_id.in_(seed.recordings.values()),
                Flag.category.not_in(CALLEE_EVENTS),
            )
        )
        holds = session.scalar(select(func.count()).select_from(Hold))
    assert flags and holds == 1  # cw07 impersonates; cw34's complaint put a case on hold
    # 2 calls that day + the blocked dial not counted; owed: cw34's and the day before's.
    return Counters(attempts=2, connected=2, talk_s=120.0, notes_owed=2, flags=flags, holds=1)


def test_todays_counters_per_agent_and_team(seed: Seed) -> None:
    start, end = day_window(CALL_DAY, ZONE)
    assert (end - start) == timedelta(days=1) and start <= CALL_DAY < end
    assert start.utcoffset() == timedelta(hours=8)
    admin1 = _viewer(seed, "admin1")
    with seed.app.reads() as session:
        days = team_days(session, admin1, start, end)
    assert [d.team.code if d.team else None for d in days] == ["T1", "T2"]
    t1, t2 = days
    assert [a.agent.code for a in t1.agents] == ["A01"]
    assert t1.agents[0].counters == _expected_a01(seed) == t1.total
    assert t2.total == Counters(attempts=1, connected=1, talk_s=45.0, notes_owed=1)
    # The day before: only the call made then.
    with seed.app.reads() as session:
        before = team_days(session, admin1, start - timedelta(days=1), start)
    assert before[0].total == Counters(attempts=1, connected=1, talk_s=30.0, notes_owed=2)


def test_an_agent_with_no_team_shows_to_admins_only(seed: Seed) -> None:
    with seed.app.sessions.begin() as session:
        session.add(Agent(code="A09", name="新人", sip_endpoint="PJSIP/a09"))
    start, end = day_window(CALL_DAY, ZONE)
    admin1, sup1 = _viewer(seed, "admin1"), _viewer(seed, "sup1")
    with seed.app.reads() as session:
        admin = team_days(session, admin1, start, end)
        lead = team_days(session, sup1, start, end)
    assert admin[-1].team is None and [a.agent.code for a in admin[-1].agents] == ["A09"]
    assert [d.team.code for d in lead if d.team] == ["T1"] and len(lead) == 1


def test_agent_detail_is_scoped(seed: Seed) -> None:
    start, end = day_window(CALL_DAY, ZONE)
    sup1, sup2 = _viewer(seed, "sup1"), _viewer(seed, "sup2")
    with seed.app.reads() as session:
        a02 = _agent(session, "A02").id
        assert agent_detail(session, sup1, a02, start, end) is None
        mine = agent_detail(session, sup2, a02, start, end)
        assert mine is not None and len(mine.calls) == 1 and mine.team is not None


@pytest.fixture
def client(seed: Seed) -> TestClient:
    return console_client(seed.app, FakeDialer(seed.app))


def test_a_supervisor_lands_on_their_team_page(seed: Seed, client: TestClient) -> None:
    form = client.get("/login")
    assert form.status_code == 200
    login(client, "sup1")
    assert client.get("/").headers["location"] == "/team"
    page = client.get("/team")
    assert page.status_code == 200
    body = page.text
    assert "班组今日" in body and "Team today" not in body  # Chinese, the default
    assert "A01" in body and "Team T1" in body
    assert "A02" not in body and "Team T2" not in body
    # A01's row: 2 attempts, 2 connected, 0:02:00 talk, 2 notes owed.
    assert "<td>2</td><td>2</td><td>0:02:00</td>\n<td>2</td>" in body


def test_a_supervisor_cannot_reach_another_teams_agent_by_changing_the_id(
    seed: Seed, client: TestClient
) -> None:
    with seed.app.sessions() as session:
        a01, a02 = (_agent(session, code).id for code in ("A01", "A02"))
    login(client, "sup1")
    own = client.get(f"/team/agents/{a01}")
    assert own.status_code == 200 and "A01" in own.text and "今日通话" in own.text
    other = client.get(f"/team/agents/{a02}")
    assert other.status_code == 404 and "A02" not in other.text
    assert client.get("/team/agents/999999").status_code == 404
    for url in ("/admin", "/admin/users", "/qa", "/qa/report", "/agent"):
        assert client.get(url).status_code == 403, url


def test_admins_see_every_team_and_other_roles_none(seed: Seed, client: TestClient) -> None:
    with seed.app.sessions() as session:
        a02 = _agent(session, "A02").id
    login(client, "admin1")
    page = client.get("/team")
    assert page.status_code == 200 and "Team T1" in page.text and "Team T2" in page.text
    assert client.get(f"/team/agents/{a02}").status_code == 200
    for username in ("qa1", "agent1"):
        other = console_client(seed.app, FakeDialer(seed.app))
        login(other, username)
        assert other.get("/team").status_code == 403, username


@pytest.fixture
def root_logging() -> Iterator[None]:
    """The CLI reconfigures the root logger; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_team_commands_and_their_errors(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", db_url)
    monkeypatch.setenv("CALLWARDEN_PASSWORD", PASSWORD)

    def run(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("agent", "add", "A01", "--sip", "PJSIP/a01")[0] == 0
    assert run("user", "add", "lin", "--role", "supervisor")[0] == 0
    assert run("user", "add", "zhao", "--role", "qa")[0] == 0
    assert run("team", "add", "T1", "--name", "催收一组")[1] == "team T1 (催收一组) added\n"
    assert run("team", "add", "T1", "--name", "一组")[1] == "team T1 (一组) updated\n"
    assert run("team", "assign", "A01", "T1")[1] == "agent A01 is in team T1\n"
    assert run("team", "supervise", "lin", "T1")[1] == "lin leads team T1\n"
    assert run("team", "supervise", "lin", "T1")[1] == "lin leads team T1 (unchanged)\n"
    listed = run("team", "list")[1]
    assert "T1" in listed and "一组" in listed and "lin" in listed and "A01" in listed
    refusals = {
        ("team", "add", " "): "team code: must not be empty",
        ("team", "add", "T" * 33): "team code: 33 characters, at most 32",
        ("team", "add", "T\x1b[2J"): "team code: ",
        ("team", "assign", "ZZ", "T1"): "agent 'ZZ' not found: add it with `callwarden agent add`",
        ("team", "assign", "A01", "NOPE"): "team 'NOPE' not found",
        ("team", "supervise", "zhao", "T1"): "user 'zhao' is a qa user",
        ("team", "supervise", "nobody", "T1"): "user 'nobody' not found",
        ("team", "supervise", "lin", "NOPE"): "team 'NOPE' not found",
    }
    for argv, message in refusals.items():
        code, out, err = run(*argv)
        assert code == cli.EXIT_USAGE and message in err and out == "", (argv, err)
    assert run("team", "unassign", "A01")[1] == "agent A01 is in no team\n"
    assert run("team", "unsupervise", "lin", "T1")[1] == "lin no longer leads team T1\n"
    assert "agents: -" in run("team", "list")[1]


def test_the_demo_has_teams_and_a_lead(db_url: str, tmp_path: Path) -> None:
    app = console_app(db_url, tmp_path / "var")
    try:
        for _ in range(2):  # a second run changes nothing
            _ensure_demo_agents(app)
            logins = ensure_demo_users(app)
        assert logins[DEMO_LEAD][0] == "supervisor"
        with app.sessions() as session:
            lead = session.scalars(select(User).where(User.username == DEMO_LEAD)).one()
            seen = set(
                session.scalars(
                    select(Agent.code).where(visible_agents(Viewer(lead.id, lead.role)))
                )
            )
            assert seen == {"A01", "A02", "A03"}
            assert session.scalar(select(func.count()).select_from(Team)) == 2
        client = console_client(app, FakeDialer(app))
        login(client, DEMO_LEAD, logins[DEMO_LEAD][1])
        page = client.get("/team")
        assert "催收一组" in page.text and "A03" in page.text and "A04" not in page.text
    finally:
        app.engine.dispose()


def test_the_role_column_takes_supervisor_and_nothing_unknown(engine: Engine) -> None:
    row = "INSERT INTO app_user (username, password_hash, role, active, created_at) VALUES "
    with engine.begin() as conn:
        conn.execute(text(row + "('lead', 'x', 'supervisor', true, '2026-12-01 00:00:00')"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(row + "('boss', 'x', 'boss', true, '2026-12-01 00:00:00')"))


def test_0009_keeps_users_and_agents(tmp_path: Path) -> None:
    """0009 copies app_user and agent on SQLite (a new CHECK, a new foreign key)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = Config()
    cfg.set_main_option("script_location", "store:migrations")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008_kept_schedule")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO app_user (id, username, password_hash, role, active, created_at) "
            "VALUES (1, 'wang', 'x', 'agent', 1, '2026-12-01 00:00:00')"
        )
        conn.exec_driver_sql(
            "INSERT INTO agent (code, name, sip_endpoint, user_id, active) "
            "VALUES ('A01', '王芳', 'PJSIP/a01', 1, 1)"
        )
        conn.exec_driver_sql(
            "INSERT INTO web_session (token_sha256, user_id, csrf_token, created_at, "
            "last_seen_at, expires_at) VALUES ('t', 1, 'c', '2026-12-01 00:00:00', "
            "'2026-12-01 00:00:00', '2026-12-02 00:00:00')"
        )
    assert upgrade(engine) == ("0008_kept_schedule", head_revision())
    with engine.connect() as conn:
        agents = conn.exec_driver_sql("SELECT code, user_id, team_id FROM agent").all()
        assert agents == [("A01", 1, None)]
        assert conn.exec_driver_sql("SELECT user_id FROM web_session").scalar() == 1
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO app_user (username, password_hash, role, active, created_at) "
            "VALUES ('lead', 'x', 'supervisor', 1, '2026-12-01 00:00:00')"
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("UPDATE agent SET team_id = 99")
    engine.dispose()


def test_add_team_refuses_a_name_too_long(seed: Seed) -> None:
    with (
        pytest.raises(UserError, match="--name: 101 characters, at most 100"),
        seed.app.sessions.begin() as session,
    ):
        add_team(session, "T3", "名" * 101, "test")
