"""The monthly ranking and the reverse audit (issue 20 item 4): standings and ties by hand,
the draw's determinism, the settings refused at load; then, on both databases, a month of
calls counted by hand, the draw (idempotent, only once the month is over), who sees which
rows and samples, QA's verdicts and the findings on the ranking, and the CSV."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from compliance.ranking import (
    FIGURES,
    FINDING_VERDICTS,
    Criterion,
    Findings,
    Measure,
    draw_cases,
    findings,
    rank,
    ticket,
)
from compliance.team_progress import Measures, Terms
from config import ConfigError, Settings, load_settings
from config.ranking import RankingMeasure, RankingSettings
from config.settings import DatabaseSettings, PathSettings
from console.app import App, build_app
from console.cli import main
from console.ranking import (
    RankingError,
    draw_month,
    month_ranking,
)
from console.teams import assign_agent, set_supervisor
from console.users import add_user
from store.enums import AccountClass, AttemptStatus, RecordingStatus, Role, Verdict
from store.models import (
    Agent,
    AuditDraw,
    AuditLog,
    AuditSample,
    CallAttempt,
    Case,
    CollectionNote,
    Flag,
    PhoneNumber,
    Recording,
    Team,
)
from store.ranking import find_draw, month_findings
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import PASSWORD, answered_call, seed_console

ZONE = ZoneInfo("Asia/Shanghai")
DECEMBER = date(2026, 12, 1)
NOW = datetime(2027, 1, 5, 2, 0, tzinfo=UTC)
"""Tuesday 2027-01-05 10:00 in Shanghai: December is over."""
TERMS = Terms(daily_target=80, coverage_days=2, calendar={}, zone=ZONE)
HIGHER, LOWER = True, False


# -- the pure ranking ----------------------------------------------------------------------


def _m(**figures: int | float) -> Measures:
    found = Measures(days_worked=1)
    for name, value in figures.items():
        setattr(found, name, value)
    return found


def test_standings_weights_and_positions_by_hand() -> None:
    """Recovered (weight 2, higher) and flags per 100 calls (weight 1, lower), four agents.

    recovered:  A 300, B 100, C 100, D 0   → A 1, B 1/2, C 1/2, D 0 (B and C level: half each)
    flags/100:  A 10 (1/10 attempts), B 0, C 20, D 0 → A 1/3, B 5/6, C 0, D 5/6
    score = (2·recovered + flags) / 3: A 7/9, B 11/18, C 1/3, D 5/18.
    """
    measures = {
        1: _m(recovered_cents=300, attempts=10, flags=1),
        2: _m(recovered_cents=100, attempts=10, flags=0),
        3: _m(recovered_cents=100, attempts=10, flags=2),
        4: _m(recovered_cents=0, attempts=5, flags=0),
    }
    codes = {1: "A", 2: "B", 3: "C", 4: "D"}
    criteria = [
        Criterion(Measure.RECOVERED, Fraction(2), HIGHER),
        Criterion(Measure.FLAGS_PER_100, Fraction(1), LOWER),
    ]
    ranking = rank(measures, codes, criteria)
    assert [(r.code, r.position, r.score) for r in ranking.ranked] == [
        ("A", 1, Fraction(7, 9)),
        ("B", 2, Fraction(11, 18)),
        ("C", 3, Fraction(1, 3)),
        ("D", 4, Fraction(5, 18)),
    ]
    assert ranking.ranked[0].standings == (Fraction(1), Fraction(1, 3))
    assert ranking.ranked[0].figures == (300, 10.0)
    assert [r.code for r in ranking.bottom(3)] == ["B", "C", "D"]
    assert ranking.bottom(0) == [] and len(ranking.bottom(10)) == 4


def test_ties_are_broken_by_the_measures_in_turn_then_by_code() -> None:
    """Equal scores: the first measure's figure decides, then the next, then the code."""
    criteria = [
        Criterion(Measure.CONTACT_RATE, Fraction(1), HIGHER),
        Criterion(Measure.COMPLAINTS, Fraction(1), LOWER),
    ]
    # X and Y are level everywhere: by code. Z beats W on contact, W beats Z on complaints:
    # both score 1/2 against each other... with X, Y too; their figures decide.
    measures = {
        1: _m(attempts=10, connected=5, complaints=1),  # Y
        2: _m(attempts=10, connected=5, complaints=1),  # X
        3: _m(attempts=10, connected=9, complaints=3),  # Z
        4: _m(attempts=10, connected=1, complaints=0),  # W
    }
    codes = {1: "Y", 2: "X", 3: "Z", 4: "W"}
    ranking = rank(measures, codes, criteria)
    # contact: Z 1, X 1/2, Y 1/2, W 0; complaints: W 1, X 1/2, Y 1/2, Z 0 → all 1/2.
    assert {r.score for r in ranking.ranked} == {Fraction(1, 2)}
    assert [r.code for r in ranking.ranked] == ["Z", "X", "Y", "W"]
    assert [r.position for r in ranking.ranked] == [1, 2, 3, 4]
    # The order does not depend on the order the agents came in.
    reverse = dict(reversed(list(measures.items())))
    assert [r.code for r in rank(reverse, codes, criteria).ranked] == ["Z", "X", "Y", "W"]


def test_no_figure_is_the_worst_and_an_agent_who_never_dialled_is_not_ranked() -> None:
    criteria = [Criterion(Measure.COVERAGE, Fraction(1), HIGHER)]
    measures = {
        1: _m(covered=0, new_cases=1),  # coverage None: nothing was due
        2: _m(covered=1, new_cases=1),  # coverage 0.0 would need a missed case: it is 1.0
        3: Measures(),  # no day worked
    }
    ranking = rank(measures, {1: "A", 2: "B", 3: "C"}, criteria)
    assert [r.code for r in ranking.ranked] == ["B", "A"]
    assert ranking.ranked[1].figures == (None,) and ranking.ranked[1].score == 0
    assert ranking.unranked == [3]
    alone = rank({1: _m()}, {1: "A"}, criteria)
    assert alone.ranked[0].score == 1 and alone.ranked[0].position == 1


def test_every_configurable_measure_has_a_figure_and_qa_findings_count_upheld_flags() -> None:
    from typing import get_args  # noqa: PLC0415

    from config.ranking import RankingMeasureName  # noqa: PLC0415

    assert set(get_args(RankingMeasureName)) == {m.value for m in Measure} == set(FIGURES)
    assert set(FINDING_VERDICTS) == {Verdict.RECTIFICATION.value, Verdict.PENALTY.value}
    m = Measures(verdicts=Counter({"penalty": 2, "rectification": 1, "false_positive": 4}))
    assert FIGURES[Measure.QA_FINDINGS](m) == 3


def test_the_draw_is_fixed_by_seed_month_agent_and_candidates() -> None:
    cases = list(range(100, 140))
    one = draw_cases(cases, seed="s", month=DECEMBER, agent_id=7, count=5)
    assert len(one) == 5 and len(set(one)) == 5 and set(one) <= set(cases)
    assert draw_cases(reversed(cases), seed="s", month=DECEMBER, agent_id=7, count=5) == one
    assert draw_cases(cases * 2, seed="s", month=DECEMBER, agent_id=7, count=5) == one
    tickets = [ticket("s", DECEMBER, 7, c) for c in one]
    assert tickets == sorted(tickets)
    assert all(ticket("s", DECEMBER, 7, c) > tickets[-1] for c in set(cases) - set(one))
    assert draw_cases(cases, seed="t", month=DECEMBER, agent_id=7, count=5) != one
    assert draw_cases(cases, seed="s", month=date(2026, 11, 1), agent_id=7, count=5) != one
    assert sorted(draw_cases([3, 1], seed="s", month=DECEMBER, agent_id=7, count=5)) == [1, 3]
    assert draw_cases([], seed="s", month=DECEMBER, agent_id=7, count=5) == []


def test_findings_count_what_qa_said() -> None:
    assert findings([(True, True), (False, True), (False, False), (None, None)]) == Findings(
        sampled=4, reviewed=3, class_mismatches=2, notes_mismatches=1
    )


def test_ranking_settings_are_checked_at_load(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        "[ranking]\nbottom_n = 2\nsample_per_agent = 4\naudit_seed = 'x'\n"
        "[[ranking.measures]]\nmeasure = 'recovered'\nweight = 3\nbetter = 'higher'\n"
        "[[ranking.measures]]\nmeasure = 'complaints'\nweight = 0.5\nbetter = 'lower'\n",
        encoding="utf-8",
    )
    settings = load_settings(good, environ={"CALLWARDEN_RANKING_BOTTOM_N": "5"}).ranking
    assert settings.bottom_n == 5 and settings.sample_per_agent == 4
    assert [(m.measure, m.weight, m.better) for m in settings.measures] == [
        ("recovered", 3.0, "higher"),
        ("complaints", 0.5, "lower"),
    ]
    for body, problem in (
        ("measure = 'talk'\nweight = 1\nbetter = 'higher'", "ranking.measures.0.measure"),
        ("measure = 'recovered'\nweight = 0\nbetter = 'higher'", "ranking.measures.0.weight"),
        ("measure = 'recovered'\nweight = 1\nbetter = 'up'", "ranking.measures.0.better"),
        ("measure = 'recovered'\nweight = 1\nbetter = 'higher'\nextra = 1", "extra: unknown"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(f"[[ranking.measures]]\n{body}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=re.escape(problem)):
            load_settings(bad, environ={})
    twice = tmp_path / "twice.toml"
    twice.write_text(
        "[[ranking.measures]]\nmeasure = 'recovered'\nweight = 1\nbetter = 'higher'\n" * 2,
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match="named twice"):
        load_settings(twice, environ={})
    empty = tmp_path / "empty.toml"
    empty.write_text("[ranking]\nmeasures = []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ranking\.measures"):
        load_settings(empty, environ={})


# -- a month of calls, on both databases ---------------------------------------------------

RANKING = RankingSettings(
    measures=(
        RankingMeasure(measure="contact_rate", weight=1, better="higher"),
        RankingMeasure(measure="flags_per_100", weight=1, better="lower"),
    ),
    bottom_n=2,
    sample_per_agent=2,
    audit_seed="test-seed",
)


@dataclass(frozen=True)
class Month:
    app: App
    cases: dict[str, int]
    """c1 … c9 → case id."""


def _shanghai(day: int, hour: int, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=ZONE).astimezone(UTC)


def _call(
    session: Session,
    case_id: int,
    agent: str,
    at: datetime,
    *,
    answered: bool,
    flags: int = 0,
    noted: AccountClass | None = AccountClass.B,
) -> None:
    agent_id = session.scalars(select(Agent.id).where(Agent.code == agent)).one()
    case = session.get_one(Case, case_id)
    number = session.scalars(
        select(PhoneNumber).where(PhoneNumber.person_id == case.debtor_id)
    ).first()
    assert number is not None
    call = answered_call(session, case_id, number, agent_id, at)
    if not answered:
        call.status, call.answered_at = AttemptStatus.NO_ANSWER, None
    if noted is not None:
        session.add(
            CollectionNote(
                case_id=case_id,
                call_attempt_id=call.id,
                agent_id=agent_id,
                outcome="contacted" if answered else "no_answer",
                account_class=noted,
                text="本人接听，称下周还款" if answered else "未接",
                created_at=at + timedelta(minutes=2),
            )
        )
    if not answered:
        return
    recording = Recording(
        call_attempt_id=call.id,
        sha256=f"{call.id:064x}",
        path=f"{call.id}.wav",
        duration_s=60.0,
        size_bytes=1,
        status=RecordingStatus.TRANSCRIBED,
        created_at=at,
    )
    session.add(recording)
    session.flush()
    for n in range(flags):
        session.add(
            Flag(
                recording_id=recording.id,
                category="threat",
                severity=4,
                speaker="agent",
                start_s=float(n),
                end_s=n + 1.0,
                evidence="不还钱就上门",
                rule_id="threat.visit",
                detector_version="test",
            )
        )


@pytest.fixture
def month(db_url: str, tmp_path: Path) -> Iterator[Month]:
    """December 2026 in Shanghai; T1 = A01, A04 (led by sup1); T2 = A02, A03 (sup2).

    - A01: 4 answered calls on c1–c4, noted and recorded, one flag: contact 1, flags 25/100.
    - A02: answered c5, c6 (noted, recorded); unanswered c7 (noted): contact 2/3, 0 flags.
    - A03: answered c8 (noted, recorded, one flag); unanswered c9 on 12-31 at 23:00:
      contact 1/2, 50 flags per 100. Its answered call on c9 at 11-30 23:00 is November's.
    - A04: no call: not ranked.

    Standings: contact A01 1, A02 1/2, A03 0; flags A02 1, A01 1/2, A03 0.
    Scores: A01 3/4, A02 3/4, A03 0: A01 and A02 are level, and A01's contact rate, the
    first measure, puts it first. The bottom two are A02 and A03; A02's candidates
    are c5 and c6 (c7 has no recording), A03's c8 (c9's recorded call is November's).
    """
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        paths=PathSettings(var_dir=tmp_path / "var"),
        ranking=RANKING,
    )
    app = build_app(settings)
    seed_console(app, [])
    with app.sessions.begin() as session:
        for code in ("A03", "A04"):
            session.add(Agent(code=code, name=f"Agent {code}", sip_endpoint=f"PJSIP/{code}"))
        session.flush()
        assign_agent(session, "A03", "T2", "test")
        assign_agent(session, "A04", "T1", "test")
        add_user(session, "sup2", Role.SUPERVISOR, PASSWORD, "test")
        set_supervisor(session, "sup2", "T2", "test")
        ids = session.scalars(select(Case.id).order_by(Case.id).limit(9)).all()
        cases = {f"c{n}": case_id for n, case_id in enumerate(ids, start=1)}
        for n in range(1, 5):
            _call(session, cases[f"c{n}"], "A01", _shanghai(n + 1, 10), answered=True,
                  flags=1 if n == 1 else 0)  # fmt: skip
        _call(session, cases["c5"], "A02", _shanghai(3, 10), answered=True)
        _call(session, cases["c6"], "A02", _shanghai(4, 10), answered=True, noted=AccountClass.C)
        _call(session, cases["c7"], "A02", _shanghai(5, 10), answered=False)
        _call(session, cases["c8"], "A03", _shanghai(7, 10), answered=True, flags=1)
        _call(session, cases["c9"], "A03", _shanghai(31, 23), answered=False, noted=None)
        _call(session, cases["c9"], "A03", _shanghai(30, 23, month=11), answered=True, flags=3)
    yield Month(app, cases)
    app.engine.dispose()


def _ranking(app: App) -> list[tuple[str, int, Fraction]]:
    with app.reads() as session:
        ranked = month_ranking(session, DECEMBER, now=NOW, terms=TERMS, settings=RANKING)
        return [(r.code, r.position, r.score) for r in ranked.ranking.ranked]


def _draw(app: App, seed: str = "", at: datetime = NOW) -> tuple[AuditDraw, bool]:
    with app.sessions.begin() as session:
        outcome = draw_month(
            session, DECEMBER, now=at, terms=TERMS, settings=RANKING, seed=seed, actor="t"
        )
        session.expunge(outcome.draw)
        return outcome.draw, outcome.created


def test_the_month_ranks_by_hand_and_its_bottom_two_are_drawn_once(month: Month) -> None:
    app, cases = month.app, month.cases
    assert _ranking(app) == [
        ("A01", 1, Fraction(3, 4)),
        ("A02", 2, Fraction(3, 4)),
        ("A03", 3, Fraction(0)),
    ]
    with pytest.raises(RankingError, match="尚未结束"):
        _draw(app, at=_shanghai(31, 23))
    draw, created = _draw(app)
    assert created and draw.seed == "test-seed" and draw.ranked == 3
    samples = _samples(app)
    assert samples == {"A02": sorted([cases["c5"], cases["c6"]]), "A03": [cases["c8"]]}
    again, created_again = _draw(app, seed="another")
    assert not created_again and again.id == draw.id and _samples(app) == samples
    with app.reads() as session:
        draws = session.scalar(select(func.count()).select_from(AuditDraw))
        logged = session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "reverse_audit.draw")
        ).all()
    assert draws == 1 and logged == [
        {"month": "2026-12", "agents": logged[0]["agents"], "cases": 3}
    ]
    # The same seed draws the same again from scratch.
    with app.sessions.begin() as session:
        session.execute(delete(AuditDraw))
    _draw(app)
    assert _samples(app) == samples


def _samples(app: App) -> dict[str, list[int]]:
    from store.models import AuditSubject  # noqa: PLC0415

    with app.reads() as session:
        rows = session.execute(
            select(Agent.code, AuditSample.case_id)
            .join(AuditSubject, AuditSubject.id == AuditSample.subject_id)
            .join(Agent, Agent.id == AuditSubject.agent_id)
        ).all()
    found: dict[str, list[int]] = {}
    for code, case_id in rows:
        found.setdefault(code, []).append(case_id)
    return {code: sorted(ids) for code, ids in found.items()}


def _client(app: App, user: str) -> tuple[TestClient, str]:
    client = console_client(app, FakeDialer(app), at=NOW)
    return client, login(client, user)


def _sample_of(app: App, code: str) -> tuple[int, int]:
    """The first case drawn for ``code``: (sample id, case id)."""
    from store.models import AuditSubject  # noqa: PLC0415

    with app.reads() as session:
        found = session.execute(
            select(AuditSample.id, AuditSample.case_id)
            .join(AuditSubject, AuditSubject.id == AuditSample.subject_id)
            .join(Agent, Agent.id == AuditSubject.agent_id)
            .where(Agent.code == code)
            .order_by(AuditSample.id)
        ).first()
    assert found is not None
    return found[0], found[1]


def test_leads_see_their_teams_rows_and_samples_and_qa_judges_them(month: Month) -> None:
    app = month.app
    admin, admin_csrf = _client(app, "admin1")
    assert "抽取倒查样本" in admin.get("/team/ranking?month=2026-12").text
    early = console_client(app, FakeDialer(app), at=_shanghai(31, 12))
    login(early, "admin1")
    token = login(early, "admin1")
    refused = early.post("/team/ranking/draw", data={"csrf": token, "month": "2026-12"})
    assert refused.status_code == 400 and "尚未结束" in refused.text
    drawn = admin.post("/team/ranking/draw", data={"csrf": admin_csrf, "month": "2026-12"})
    assert drawn.status_code == 303
    (a02, a02_case), (a03, _) = _sample_of(app, "A02"), _sample_of(app, "A03")

    sup1, _ = _client(app, "sup1")
    page = sup1.get("/team/ranking?month=2026-12").text
    assert "A01 Agent A01" in page and "1/3" in page and "A04" in page  # A04: not ranked
    assert "A02 Agent A02" not in page and "A03" not in page
    assert "test-seed" not in page  # known, it would tell next month's draw
    assert "test-seed" in admin.get("/team/ranking?month=2026-12").text
    assert sup1.get(f"/qa/audits/{a02}").status_code == 404
    assert sup1.get("/qa/audits").status_code == 403
    sup2, sup2_csrf = _client(app, "sup2")
    page = sup2.get("/team/ranking?month=2026-12").text
    assert "A02 Agent A02" in page and "A03 Agent A03" in page and "A01 Agent" not in page
    case_page = sup2.get(f"/qa/audits/{a03}")
    assert case_page.status_code == 200 and "本人接听" in case_page.text
    assert "/qa/calls/" not in case_page.text  # a supervisor cannot play recordings
    judged = {"csrf": sup2_csrf, "class_matches": "yes", "notes_match": "yes"}
    assert sup2.post(f"/qa/audits/{a03}/verdict", data=judged).status_code == 403

    agent, _ = _client(app, "agent1")
    for url in ("/team/ranking", "/team/ranking.csv", "/qa/audits", f"/qa/audits/{a02}"):
        assert agent.get(url).status_code == 403, url

    qa, qa_csrf = _client(app, "qa1")
    queue = qa.get("/qa/audits?month=2026-12").text
    assert queue.count("/qa/audits/") >= 3 and "A02 Agent A02" in queue
    shown = qa.get(f"/qa/audits/{a02}").text
    assert "/qa/calls/" in shown and f'href="/cases/{a02_case}"' in shown
    assert qa.get(f"/qa/calls/{_recording_of(app, a02_case)}").status_code == 200
    no_remark = {"csrf": qa_csrf, "class_matches": "no", "notes_match": "yes"}
    assert qa.post(f"/qa/audits/{a02}/verdict", data=no_remark).status_code == 400
    said = {**no_remark, "remark": "录音中本人称失业，应为C类"}
    assert qa.post(f"/qa/audits/{a02}/verdict", data=said).status_code == 303
    ok = {"csrf": qa_csrf, "class_matches": "yes", "notes_match": "no", "remark": "记录未写承诺"}
    assert qa.post(f"/qa/audits/{a03}/verdict", data=ok).status_code == 303
    with app.reads() as session:
        found = month_findings(session, DECEMBER)
        codes = dict(session.execute(select(Agent.id, Agent.code)).all())
        logged = session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "reverse_audit.verdict")
        ).all()
    assert {codes[a]: f for a, (_, f) in found.items()} == {
        "A02": Findings(sampled=2, reviewed=1, class_mismatches=1, notes_mismatches=0),
        "A03": Findings(sampled=1, reviewed=1, class_mismatches=0, notes_mismatches=1),
    }
    assert [d["class_matches"] for d in logged] == [False, True]
    # The findings are on the ranking: sampled, reviewed, class and notes mismatches.
    rows = list(csv.reader(io.StringIO(sup2.get("/team/ranking.csv?month=2026-12").text[1:])))
    assert rows[1][2:4] == ["A02 Agent A02", "75.0"] and rows[1][-4:] == ["2", "1", "1", "0"]
    assert rows[2][0] == "3/3" and rows[2][-4:] == ["1", "1", "0", "1"]


def _recording_of(app: App, case_id: int) -> int:
    with app.reads() as session:
        return session.scalars(
            select(Recording.id)
            .join(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
            .where(CallAttempt.case_id == case_id)
        ).one()


def test_the_csv_is_formula_safe_and_its_export_is_audit_logged(month: Month) -> None:
    app = month.app
    with app.sessions.begin() as session:
        team = session.scalars(select(Team).where(Team.code == "T1")).one()
        team.name = '=HYPERLINK("http://x")'
    admin, _ = _client(app, "admin1")
    reply = admin.get("/team/ranking.csv?month=2026-12")
    assert reply.status_code == 200 and reply.text.startswith("\ufeff名次,")
    rows = list(csv.reader(io.StringIO(reply.text[1:])))
    assert rows[1][1] == '\'=HYPERLINK("http://x") (T1)'  # text, never a formula
    assert [r[2][:3] for r in rows[1:]] == ["A01", "A02", "A03"]
    assert rows[1][4:6] == ["1.0", "25.0"]  # contact rate, flags per 100 calls
    with app.reads() as session:
        logged = session.scalars(
            select(AuditLog.detail).where(AuditLog.action == "export.ranking")
        ).all()
    assert logged == [{"format": "csv", "month": "2026-12", "rows": 3}]
    assert admin.get("/team/ranking?month=2026-13").status_code == 400
    assert admin.get("/team/ranking?month=x").status_code == 400


AT = ("--at", "2027-01-05 10:00")


def test_callwarden_ranking_draw_is_idempotent(month: Month, tmp_path: Path) -> None:
    config = tmp_path / "cw.toml"
    config.write_text(
        f"[database]\nurl = '{month.app.settings.database.url}'\n"
        f"[paths]\nvar_dir = '{tmp_path / 'var'}'\n"
        "[ranking]\nbottom_n = 2\nsample_per_agent = 2\naudit_seed = 'test-seed'\n"
        "[[ranking.measures]]\nmeasure = 'contact_rate'\nweight = 1\nbetter = 'higher'\n"
        "[[ranking.measures]]\nmeasure = 'flags_per_100'\nweight = 1\nbetter = 'lower'\n",
        encoding="utf-8",
    )

    def cli(*args: str) -> tuple[int, str]:
        out = io.StringIO()
        code = main(["--config", str(config), "ranking", *args, *AT], out)
        return code, out.getvalue()

    code, first = cli("draw", "--month", "2026-12")
    assert code == 0 and first.startswith("2026-12 drawn by cli:"), first
    assert "bottom 2 of 3" in first and first.count("sample #") == 3
    code, again = cli("draw", "--month", "2026-12")
    assert code == 0 and again.startswith("2026-12 already drawn")
    assert again.split("\n")[1:] == first.split("\n")[1:]
    assert cli("draw", "--month", "2026-1")[0] == 1
    assert cli("draw", "--month", "2027-01")[0] == 1  # not over at --at
    code, shown = cli("show", "--month", "2026-12")
    assert "  1/3 | Team T1 (T1) | A01 Agent A01 | 75.0 | 1.0 | 25.0 |" in shown
    assert "  3/3 | Team T2 (T2) | A03 Agent A03 | 0.0 | 0.5 | 50.0 | 1 | 0 | 0 | 0" in shown
    assert "not ranked (no calls this month): A04" in shown


def test_a_draw_committed_meanwhile_stands(month: Month, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two draws of one month at once: the second finds the month's row taken when it writes
    (it had found none when it looked), and answers with the first instead of an error."""
    first, _ = _draw(month.app)
    looked: list[date] = []
    real = find_draw

    def not_yet(session: Session, wanted: date) -> AuditDraw | None:
        looked.append(wanted)
        return None if len(looked) == 1 else real(session, wanted)

    monkeypatch.setattr("console.ranking.find_draw", not_yet)
    second, created = _draw(month.app, seed="other")
    assert not created and second.id == first.id and second.seed == "test-seed"
    assert len(looked) == 2
    with month.app.reads() as session:
        assert session.scalar(select(func.count()).select_from(AuditDraw)) == 1
        assert session.scalar(select(func.count()).select_from(AuditSample)) == 3
        drawn = session.scalar(
            select(func.count())
            .select_from(AuditLog)
            .where(AuditLog.action == "reverse_audit.draw")
        )
    assert drawn == 1
