"""The complaint pages: QA opens a complaint from a callee's flagged complaint, the case goes on
hold, a supervisor sees only their teams' complaints, the bundle downloads and is audited, and
resolving lifts the complaint's own hold."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from compliance.complaints import ComplaintStatus
from console.teams import set_supervisor
from console.users import add_user
from store.enums import HoldReason, Role
from store.models import AuditLog, CallAttempt, Complaint, Flag, Hold, Recording
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import PASSWORD, Seed, console_app, seed_console


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    found = seed_console(app, ["cw34", "cw07"])
    with app.sessions.begin() as session:
        add_user(session, "sup2", Role.SUPERVISOR, PASSWORD, "test")
        set_supervisor(session, "sup2", "T2", "test")  # A02's team: none of the seeded calls
    yield found
    app.engine.dispose()


def _client(seed: Seed) -> TestClient:
    return console_client(seed.app, FakeDialer(seed.app))


def _complaint_flag(seed: Seed) -> int:
    with seed.app.sessions() as session:
        return int(
            session.scalars(
                select(Flag.id).where(
                    Flag.recording_id == seed.recordings["cw34"],
                    Flag.category == "complaint_tendency",
                )
            ).one()
        )


def _open(seed: Seed, client: TestClient, token: str) -> int:
    flag = _complaint_flag(seed)
    form = client.get(f"/complaints/new?flag_id={flag}")
    assert form.status_code == 200
    case_id = re.search(r'name="case_id" value="(\d+)"', form.text)
    assert case_id is not None
    reply = client.post(
        "/complaints",
        data={
            "csrf": token,
            "case_id": case_id.group(1),
            "flag_id": str(flag),
            "channel": "regulator",
            "alleged": "对方称催收员冒充公检法",
        },
    )
    assert reply.status_code == 303, reply.text[:500]
    return int(reply.headers["location"].rsplit("/", 1)[1])


def test_qa_opens_a_complaint_from_the_flagged_call_and_the_case_goes_on_hold(
    seed: Seed,
) -> None:
    client = _client(seed)
    token = login(client, "qa1")
    flag = _complaint_flag(seed)
    call = client.get(f"/qa/calls/{seed.recordings['cw34']}")
    assert f'href="/complaints/new?flag_id={flag}"' in call.text and "登记投诉" in call.text
    register = client.get("/complaints")
    assert f"/complaints/new?flag_id={flag}" in register.text  # offered until registered
    form = client.get(f"/complaints/new?flag_id={flag}")
    assert "我就去金融监管局投诉你们" in form.text  # the callee's words, prefilled
    ident = _open(seed, client, token)
    with seed.app.sessions() as session:
        complaint = session.get_one(Complaint, ident)
        hold = session.get_one(Hold, complaint.hold_id)
        attempt = session.get_one(CallAttempt, seed.attempts["cw34"])
        assert (complaint.source_flag_id, complaint.grade.value) == (flag, "important")
        assert complaint.case_id == attempt.case_id and complaint.opened_by == "qa1"
        assert (hold.reason, hold.cleared_at) == (HoldReason.COMPLAINT, None)
    page = client.get(f"/complaints/{ident}")
    assert "重要" in page.text and "停催中" in page.text and "监管转办" in page.text
    assert f"/complaints/new?flag_id={flag}" not in client.get("/complaints").text
    # Resolving lifts its own hold; the detector's 投诉倾向 hold stays for an admin to lift.
    refused = client.post(f"/complaints/{ident}/resolve", data={"csrf": token, "resolution": ""})
    assert refused.status_code == 200 and "resolution" in refused.text
    done = client.post(
        f"/complaints/{ident}/resolve",
        data={"csrf": token, "resolution": "已核实录音并回复监管", "bank_told": "true"},
    )
    assert done.status_code == 303
    with seed.app.sessions() as session:
        complaint = session.get_one(Complaint, ident)
        assert complaint.status is ComplaintStatus.RESOLVED and complaint.bank_told
        held = session.scalars(
            select(Hold.reason).where(Hold.case_id == complaint.case_id, Hold.cleared_at.is_(None))
        ).all()
        assert held == [HoldReason.COMPLAINT_TENDENCY]


def test_a_supervisor_sees_the_complaints_of_their_teams_only(seed: Seed) -> None:
    qa = _client(seed)
    ident = _open(seed, qa, login(qa, "qa1"))
    lead = _client(seed)
    token = login(lead, "sup1")  # leads T1, whose A01 made the calls
    assert f"/complaints/{ident}" in lead.get("/complaints").text
    assert lead.get(f"/complaints/{ident}").status_code == 200
    other = _client(seed)
    token = login(other, "sup2")  # leads T2 only
    assert f"/complaints/{ident}" not in other.get("/complaints").text
    assert other.get(f"/complaints/{ident}").status_code == 404
    assert other.post(f"/complaints/{ident}/bundle", data={"csrf": token}).status_code == 404
    flag = _complaint_flag(seed)
    assert other.get(f"/complaints/new?flag_id={flag}").status_code == 404
    agent = _client(seed)
    login(agent, "agent1")
    assert agent.get("/complaints").status_code == 403


def test_the_console_bundle_downloads_is_audited_and_leaves_nothing_behind(seed: Seed) -> None:
    client = _client(seed)
    token = login(client, "qa1")
    ident = _open(seed, client, token)
    reply = client.post(f"/complaints/{ident}/bundle", data={"csrf": token})
    assert reply.status_code == 200, reply.text[:300]
    assert reply.headers["content-type"] == "application/zip"
    assert f"complaint-{ident}-evidence.zip" in reply.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(reply.content)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
    assert {e["name"] for e in manifest["files"]} | {"manifest.json"} == names
    assert manifest["complaint"]["id"] == ident and manifest["generated_by"] == "qa1"
    with seed.app.sessions() as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "complaint.bundle")).one()
    assert (audit.actor, audit.object_id) == ("qa1", str(ident))
    assert list(seed.app.paths.bundles.iterdir()) == []  # sent, then deleted


def test_a_tampered_recording_stops_the_console_bundle(seed: Seed) -> None:
    client = _client(seed)
    token = login(client, "qa1")
    ident = _open(seed, client, token)
    with seed.app.sessions() as session:
        path = Path(session.get_one(Recording, seed.recordings["cw07"]).path)
    path.chmod(0o600)
    path.write_bytes(path.read_bytes()[:-2])  # truncated
    reply = client.post(f"/complaints/{ident}/bundle", data={"csrf": token})
    assert reply.status_code == 409
    assert f"证据包未生成：录音 {seed.recordings['cw07']}：" in reply.text
    with seed.app.sessions() as session:
        assert (
            session.scalar(select(func.count()).where(AuditLog.action == "complaint.bundle")) == 0
        )
    assert list(seed.app.paths.bundles.iterdir()) == []
