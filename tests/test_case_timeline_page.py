"""The agent's case page as a timeline (issue 22, item 2), on both databases: every kind of
entry in time order, contacts with their last result, numbers masked, an agent seeing only
their own flags and verdicts, another agent's case a 404, and each transcript snippet shown
audit-logged."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from compliance.case_timeline import EntryKind
from compliance.complaints import Channel, ComplaintStatus, Grade
from store.case_timeline import CallEntry, case_timeline
from store.enums import ConsentScope, HoldReason, Role, Verdict
from store.models import (
    Agent,
    AuditLog,
    CallAttempt,
    Case,
    CaseConsent,
    CollectionNote,
    Complaint,
    Flag,
    Hold,
    Payment,
    Recording,
    ReviewVerdict,
    User,
    Utterance,
)
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, Seed, console_app, seed_console

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Story:
    seed: Seed
    case_id: int
    other_case_id: int
    e164: str
    flags: dict[str, int]
    """Call → the id of a flag on it (cw07 by A01, cw08 by A02)."""


def _agent(session: Session, code: str) -> int:
    return session.scalars(select(Agent.id).where(Agent.code == code)).one()


@pytest.fixture
def story(db_url: str, tmp_path: Path) -> Iterator[Story]:
    """One case: A01's flagged call (cw07, with a QA verdict), its note with a promise, A02's
    flagged call (cw08) moved onto the same case, a payment, a hold placed and cleared, a
    consent, a complaint; and another case, A01's, that A02 never touched."""
    app = console_app(db_url, tmp_path / "var")
    seed = seed_console(app, ["cw07", "cw08"])
    with app.sessions.begin() as session:
        own = session.get_one(CallAttempt, seed.attempts["cw07"])
        moved = session.get_one(CallAttempt, seed.attempts["cw08"])
        a01, a02 = _agent(session, "A01"), _agent(session, "A02")
        case = session.get_one(Case, own.case_id)
        case.assigned_agent_id = a01
        moved.case_id, moved.person_id, moved.phone_number_id, moved.e164 = (
            own.case_id,
            own.person_id,
            own.phone_number_id,
            own.e164,
        )
        moved.agent_id = a02
        other = session.scalars(select(Case).where(Case.id != case.id).order_by(Case.id)).first()
        assert other is not None
        other.assigned_agent_id = a01
        flags = {
            call: session.scalars(
                select(Flag.id)
                .join(Recording, Recording.id == Flag.recording_id)
                .where(Recording.id == seed.recordings[call])
            ).first()
            for call in ("cw07", "cw08")
        }
        assert all(flags.values()), flags
        qa = session.scalars(select(User.id).where(User.username == "qa1")).one()
        session.add(
            ReviewVerdict(
                flag_id=flags["cw07"],
                reviewer_id=qa,
                verdict=Verdict.RECTIFICATION,
                note="",
                created_at=CALL_DAY + timedelta(hours=1),
            )
        )
        at = CALL_DAY + timedelta(minutes=2)
        session.add(
            CollectionNote(
                case_id=case.id,
                call_attempt_id=own.id,
                agent_id=a01,
                outcome="promise_to_pay",
                text="本人接听，承诺20号前还两千",
                promised_amount_cents=200_000,
                promised_date=date(2026, 12, 20),
                created_at=at,
            )
        )
        session.add(
            Payment(
                case_id=case.id,
                amount_cents=50_000,
                paid_on=date(2026, 12, 2),
                channel="手机银行",
                reference="R-77",
                file_sha256="0" * 64,
                source_row=1,
                imported_by="test",
            )
        )
        hold = Hold(
            case_id=case.id,
            reason=HoldReason.MANUAL,
            detail="核实中",
            placed_by="sup1",
            placed_at=CALL_DAY + timedelta(hours=1),
            cleared_by="sup1",
            cleared_at=CALL_DAY + timedelta(hours=2),
            clear_note="已核实",
        )
        session.add(hold)
        session.flush()
        session.add(
            CaseConsent(
                case_id=case.id,
                scope=ConsentScope.WINDOW,
                valid_from=CALL_DAY,
                valid_until=CALL_DAY + timedelta(days=7),
                evidence_note="债务人同意晚上联系",
                requested_by="agent1",
                requested_at=CALL_DAY + timedelta(hours=3),
            )
        )
        session.add(
            Complaint(
                case_id=case.id,
                channel=Channel.PHONE,
                grade=Grade.ROUTINE,
                derived_grade=Grade.ROUTINE,
                alleged="说催收员态度差",
                handler="sup1",
                opened_by="sup1",
                opened_at=CALL_DAY + timedelta(hours=4),
                due_on=date(2026, 12, 10),
                status=ComplaintStatus.OPEN,
                hold_id=hold.id,
            )
        )
        story = Story(seed, case.id, other.id, own.e164, {k: v for k, v in flags.items() if v})
    yield story
    app.engine.dispose()


def _kinds(page: str) -> list[str]:
    return re.findall(r'<li class="tl tl-[a-z_]+" data-kind="([a-z_]+)"', page)


def _snippet_audits(story: Story) -> list[tuple[str, str]]:
    with story.seed.app.sessions() as session:
        rows = session.execute(
            select(AuditLog.actor, AuditLog.object_id)
            .where(AuditLog.action == "transcript.snippet")
            .order_by(AuditLog.id)
        ).all()
    return [(actor, object_id) for actor, object_id in rows]


def test_the_case_reads_newest_first_with_every_kind(story: Story) -> None:
    client = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(client, "agent1")
    page = client.get(f"/agent/cases/{story.case_id}")
    assert page.status_code == 200, page.text
    # the payment (2026-12-02, a day's start in Shanghai) is newest; at the note's instant,
    # its promise reads above it; the calls are cw08 (02:07Z) and cw07 (02:00Z).
    assert _kinds(page.text) == [
        "payment",
        "complaint",
        "consent",
        "hold_cleared",
        "hold",
        "call",
        "promise",
        "note",
        "call",
    ]
    text = page.text
    assert "¥2000.00，2026-12-20 前" in text and "待到期" in text
    assert "R-77" in text and "说催收员态度差" in text and "已核实" in text
    assert "通话时长 0:01:00" in text and "已接通" in text
    # contacts: the debtor, with the last call to them (cw08, answered, no note yet)
    debtor = re.search(r'<tr class="contact"><td>[^<]+</td><td>债务人</td>.*?</tr>', text, re.S)
    assert debtor is not None and "2026-12-01 10:07 · 已接通</td>" in debtor.group(0)
    # numbers masked: the debtor's full number never reaches the page
    national = story.e164.removeprefix("+86")
    assert story.e164 not in text and national not in text
    assert f"{national[:3]}****{national[-4:]}" in text


def test_an_agent_sees_their_own_flags_and_verdicts_only(story: Story) -> None:
    mine, theirs = story.flags["cw07"], story.flags["cw08"]
    one = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(one, "agent1")
    page = one.get(f"/agent/cases/{story.case_id}").text
    assert f'data-flag="{mine}"' in page and "责令整改" in page
    assert f'data-flag="{theirs}"' not in page
    two = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(two, "agent2")  # called this case once: it is theirs too, but only that call's flag
    page = two.get(f"/agent/cases/{story.case_id}").text
    assert f'data-flag="{theirs}"' in page
    assert f'data-flag="{mine}"' not in page and "责令整改" not in page


@dataclass(frozen=True)
class _Viewer:
    user_id: int
    role: Role


@pytest.mark.parametrize(
    ("username", "sees"),
    [("qa1", {"cw07", "cw08"}), ("admin1", {"cw07", "cw08"}), ("sup1", {"cw07"})],
)
def test_qa_and_admins_see_every_flag_a_supervisor_their_teams(
    story: Story, username: str, sees: set[str]
) -> None:
    """sup1 leads T1 (A01's team), not T2 (A02's)."""
    with story.seed.app.sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        case = session.get_one(Case, story.case_id)
        found = case_timeline(session, case, _Viewer(user.id, user.role), CALL_DAY, SHANGHAI)
    shown = {
        f.id
        for e in found.entries
        if e.kind is EntryKind.CALL and isinstance(e.body, CallEntry)
        for f in e.body.flags
    }
    assert shown == {story.flags[call] for call in sees}


def test_another_agents_case_is_a_404_and_logs_no_snippet(story: Story) -> None:
    client = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(client, "agent2")
    assert client.get(f"/agent/cases/{story.other_case_id}").status_code == 404
    assert _snippet_audits(story) == []


def test_each_snippet_shown_to_an_agent_is_audit_logged(story: Story) -> None:
    client = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(client, "agent1")
    page = client.get(f"/agent/cases/{story.case_id}").text
    assert page.count('<blockquote class="snippet">') == 2
    recordings = {str(story.seed.recordings[c]) for c in ("cw07", "cw08")}
    assert sorted(_snippet_audits(story)) == sorted(("agent1", r) for r in recordings)
    client.get(f"/agent/cases/{story.case_id}")  # every view is logged, as each page shows it
    with story.seed.app.sessions() as session:
        count = session.scalar(select(func.count()).where(AuditLog.action == "transcript.snippet"))
    assert count == 4


def test_qa_reads_any_case_with_every_flag_and_a_supervisor_only_their_teams(
    story: Story,
) -> None:
    """/cases/<id>: the same page for QA, admins and supervisors, in the scope rule's cases.
    sup1 leads T1 (A01): A01's case is theirs, with A01's flag only; a case no agent of
    T1 was assigned or called is a 404."""
    mine, theirs = story.flags["cw07"], story.flags["cw08"]
    qa = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(qa, "qa1")
    page = qa.get(f"/cases/{story.case_id}")
    assert page.status_code == 200
    assert f'data-flag="{mine}"' in page.text and f'data-flag="{theirs}"' in page.text
    assert "/agent/cases/" not in page.text  # no consent form: that is the agent's request
    lead = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(lead, "sup1")
    page = lead.get(f"/cases/{story.case_id}")
    assert f'data-flag="{mine}"' in page.text and f'data-flag="{theirs}"' not in page.text
    with story.seed.app.sessions.begin() as session:
        nobodys = session.scalars(
            select(Case.id)
            .where(Case.id.not_in([story.case_id, story.other_case_id]))
            .where(Case.assigned_agent_id.is_(None))
            .where(~select(CallAttempt.id).where(CallAttempt.case_id == Case.id).exists())
        ).first()
    assert nobodys is not None
    assert lead.get(f"/cases/{nobodys}").status_code == 404
    assert qa.get(f"/cases/{nobodys}").status_code == 200
    agent = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(agent, "agent1")
    assert agent.get(f"/cases/{story.case_id}").status_code == 403


def test_a_number_said_in_the_call_is_masked_in_the_snippet(story: Story) -> None:
    with story.seed.app.sessions.begin() as session:
        first = session.scalars(
            select(Utterance)
            .where(Utterance.recording_id == story.seed.recordings["cw07"])
            .order_by(Utterance.start_s, Utterance.id)
        ).first()
        assert first is not None
        first.text = "请打我的手机13812348000找我"
    client = console_client(story.seed.app, FakeDialer(story.seed.app))
    login(client, "agent1")
    page = client.get(f"/agent/cases/{story.case_id}").text
    assert "请打我的手机138****8000找我" in page and "13812348000" not in page
