"""Consent on the case pages (issue 19 item 2): an agent requests, a supervisor of the agent's
team or an admin approves, anyone of them records a withdrawal; every step audit-logged; an
approved consent reaches the worklists and names itself; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from compliance.policy import load_profile
from console.users import add_user
from dialer.worklist_source import build_worklists
from store.audit import verify
from store.dial_filters import consents_in_force
from store.enums import Role
from store.models import Agent, AuditLog, CallAttempt, Case, CaseConsent
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, PASSWORD, Seed, console_app, seed_console

SH = ZoneInfo("Asia/Shanghai")
CONSENTING = load_profile(Path(__file__).parent / "fixtures" / "policy" / "cn-consenting.toml")


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    """The console's seed, with the case of A01's call assigned to A01 (sup1 leads A01's
    team) and a supervisor, sup9, who leads no team."""
    app = console_app(db_url, tmp_path / "var")
    seeded = seed_console(app, ["cw07"])
    with app.sessions.begin() as session:
        call = session.get_one(CallAttempt, seeded.attempts["cw07"])
        a01 = session.scalars(select(Agent.id).where(Agent.code == "A01")).one()
        session.execute(update(Case).where(Case.id == call.case_id).values(assigned_agent_id=a01))
        add_user(session, "sup9", Role.SUPERVISOR, PASSWORD, "test")
    yield seeded
    app.engine.dispose()


def _case_and_call(seed: Seed) -> tuple[int, int]:
    with seed.app.sessions() as session:
        call = session.get_one(CallAttempt, seed.attempts["cw07"])
        return call.case_id, call.id


def _rows(seed: Seed) -> list[CaseConsent]:
    with seed.app.sessions() as session:
        return list(session.scalars(select(CaseConsent).order_by(CaseConsent.id)))


def _actions(seed: Seed) -> list[str]:
    with seed.app.sessions() as session:
        found = session.scalars(
            select(AuditLog.action).where(AuditLog.action.like("consent.%")).order_by(AuditLog.id)
        )
        return list(found)


def _in_force(seed: Seed, at: datetime) -> list[int]:
    with seed.app.sessions() as session:
        return [row[1] for row in session.execute(consents_in_force(at))]


def test_an_agent_requests_a_lead_approves_and_the_consent_names_itself_then_is_withdrawn(
    seed: Seed,
) -> None:
    case_id, call_id = _case_and_call(seed)
    agent = console_client(seed.app, FakeDialer(seed.app))
    token = login(agent, "agent1")
    page = agent.get(f"/agent/cases/{case_id}")
    assert page.status_code == 200 and "<h2>债务人同意</h2>" in page.text
    form = {
        "csrf": token,
        "scope": "window",
        "valid_from": "2026-12-01 09:00",
        "valid_until": "2026-12-31 00:00",
    }
    refused = agent.post(f"/agent/cases/{case_id}/consents", data=form)
    assert refused.status_code == 200
    assert "证据：请填写债务人表示同意的通话，或写明说明" in refused.text
    assert _rows(seed) == []
    done = agent.post(f"/agent/cases/{case_id}/consents", data={**form, "call_attempt_id": call_id})
    assert done.status_code == 303
    (row,) = _rows(seed)
    assert (row.requested_by, row.approved_at, row.call_attempt_id) == ("agent1", None, call_id)
    evening = datetime(2026, 12, 1, 21, 30, tzinfo=SH)
    assert _in_force(seed, evening) == []  # a request is not a consent
    assert agent.post(f"/consents/{row.id}/approve", data={"csrf": token}).status_code == 403

    outsider = console_client(seed.app, FakeDialer(seed.app))
    other = outsider.post(f"/consents/{row.id}/approve", data={"csrf": login(outsider, "sup9")})
    assert "不存在" in other.text and _rows(seed)[0].approved_at is None
    assert outsider.get(f"/consents/cases/{case_id}").status_code == 404

    lead = console_client(seed.app, FakeDialer(seed.app))
    lead_token = login(lead, "sup1")
    assert f"/consents/cases/{case_id}" in lead.get("/consents").text
    approved = lead.post(f"/consents/{row.id}/approve", data={"csrf": lead_token})
    assert approved.status_code == 303
    assert _rows(seed)[0].approved_by == "sup1"
    assert _in_force(seed, evening) == [row.id]

    with seed.app.sessions() as session:
        schedule = build_worklists(session, CONSENTING, evening, ["A01"])
    mine = [item for item in schedule.dialable if item.entry.case.facts.case_id == case_id]
    assert mine and all(item.entry.person.contact_type == "debtor" for item in mine)
    assert f"consent #{row.id} (window, until 2026-12-31 00:00) relaxes company.window" in (
        mine[0].reason
    )

    no_note = agent.post(f"/consents/{row.id}/withdraw", data={"csrf": token})
    assert no_note.status_code == 400
    gone = agent.post(
        f"/consents/{row.id}/withdraw", data={"csrf": token, "note": "债务人来电撤回同意"}
    )
    assert gone.status_code == 303
    assert _rows(seed)[0].withdrawn_by == "agent1"
    assert _in_force(seed, evening) == []
    assert _actions(seed) == ["consent.request", "consent.approve", "consent.withdraw"]
    assert verify(seed.app.sessions).broken is None


def test_an_admin_approves_on_any_case_and_an_expired_request_is_refused(seed: Seed) -> None:
    case_id, _ = _case_and_call(seed)
    with seed.app.sessions.begin() as session:
        for until in (CALL_DAY + timedelta(days=3), CALL_DAY + timedelta(minutes=1)):
            session.add(
                CaseConsent(
                    case_id=case_id,
                    scope="frequency",
                    valid_from=CALL_DAY - timedelta(days=1),
                    valid_until=until,
                    evidence_note="note",
                    requested_by="agent1",
                    requested_at=CALL_DAY,
                )
            )
    fresh, stale = _rows(seed)
    admin = console_client(seed.app, FakeDialer(seed.app), at=CALL_DAY + timedelta(hours=1))
    token = login(admin, "admin1")
    assert admin.post(f"/consents/{fresh.id}/approve", data={"csrf": token}).status_code == 303
    expired = admin.post(f"/consents/{stale.id}/approve", data={"csrf": token})
    assert f"同意 {stale.id} 已过期" in expired.text
    assert [r.approved_by for r in _rows(seed)] == ["admin1", None]
