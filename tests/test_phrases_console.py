"""The approved-phrases panel on the agent's pages and the admins' editor for the phrases
(issue 22 item 4), on SQLite and PostgreSQL: the situations a case calls for open with their
reasons, a phrase the lexicon would flag is refused, every save is a version with an audit
row, and a lexicon change that would flag an approved phrase is refused too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from compliance.complaints import Channel, ComplaintStatus, DueDays
from compliance.lexicon import shipped_lexicons_dir
from compliance.phrases import load_phrases, shipped_phrases_dir
from console.queue_labels import RELATION_ZH
from dialer.keeper import keep_once
from store.case_queue import case_files
from store.complaints import NewComplaint, open_complaint
from store.enums import RecordingStatus, Speaker
from store.models import (
    Agent,
    AuditLog,
    Case,
    CollectionNote,
    ConfigVersion,
    PhoneNumber,
    Recording,
    Utterance,
)
from store.wording_facts import wording_facts
from tests.dbdata import Target, contact_targets, debtor_targets
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, Seed, answered_call, console_app, seed_console

SHIPPED = load_phrases("cn-default")
OPEN = re.compile(r'<details class="situation called" data-situation="(\w+)" open>')


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    seeded = seed_console(app, [])
    with app.sessions.begin() as session:  # the deadlines must not follow the wall clock
        session.execute(update(Case).values(imported_at=CALL_DAY))
    yield seeded
    app.engine.dispose()


def _agent_id(seed: Seed, code: str) -> int:
    with seed.app.sessions() as session:
        return session.scalars(select(Agent.id).where(Agent.code == code)).one()


def _family_case(seed: Seed) -> tuple[Target, Target]:
    debtors = {t.case_id: t for t in reversed(debtor_targets(seed.app.sessions))}
    family = next(t for t in contact_targets(seed.app.sessions, "family") if t.case_id in debtors)
    return debtors[family.case_id], family


def _client(seed: Seed, user: str) -> tuple[TestClient, str]:
    client = console_client(seed.app, FakeDialer(seed.app))
    return client, login(client, user)


def _block(page: str, case_id: int) -> str:
    block = page[page.index(f'id="case-{case_id}"') :]
    return block[: block.index("</tbody>")]


def test_the_panel_opens_what_each_case_calls_for_with_why(seed: Seed) -> None:
    debtor, family = _family_case(seed)
    a02 = _agent_id(seed, "A02")
    with seed.app.sessions.begin() as session:
        session.get_one(Case, debtor.case_id).assigned_agent_id = a02
        session.add(
            CollectionNote(
                case_id=debtor.case_id,
                agent_id=a02,
                outcome="negotiating",
                text="债务人要求减免利息，已告知需向银行书面申请",
                created_at=CALL_DAY - timedelta(days=3),
            )
        )
    keep_once(seed.app.sessions, seed.app.reads, seed.app.profile(), CALL_DAY)
    client, _ = _client(seed, "agent2")
    page = client.get("/agent").text
    # the panel: every situation and every phrase, the keys, the console's own script
    assert 'aria-label="合规话术"' in page
    for spec in SHIPPED.situations.values():
        assert spec.title in page and all(p in page for p in spec.phrases)
    assert '<script src="/static/workspace.js" defer></script>' in page
    assert "<kbd>D</kbd> 拨打下一个" in page and "<kbd>N</kbd>" in page
    # the case's own hint: a third party among its numbers, a waiver asked for in a note
    hint = _block(page, debtor.case_id)
    assert "本案有第三方联系人：家属" in hint and "2026-11-28 催记提到「减免」" in hint
    # "dial next" aims at the current case (marked), its first dialable number
    current = re.search(r'<tbody class="case current" id="case-(\d+)"', page)
    assert current is not None
    dial_next = page[page.index('id="dial-next"') :]
    assert f'name="case_id" value="{current.group(1)}"' in dial_next[:600]

    # a call to the relative, owing its note: the note page opens the third-party script
    with seed.app.sessions.begin() as session:
        relative = session.get_one(PhoneNumber, family.phone_number_id)
        answered_call(session, debtor.case_id, relative, a02, CALL_DAY)
    page = client.get("/agent").text
    assert "催收记录" in page
    assert OPEN.findall(page) == ["waiver_request", "third_party"]
    assert "本次拨打的是第三方（家属）的号码" in page
    assert "<kbd>Ctrl</kbd>+<kbd>Enter</kbd> 保存催记" in page

    # the agent's case page has the panel; QA's read-only view of the case does not
    case_page = client.get(f"/agent/cases/{debtor.case_id}").text
    assert set(OPEN.findall(case_page)) == {"waiver_request", "third_party"}
    qa, _ = _client(seed, "qa1")
    assert "合规话术" not in qa.get(f"/cases/{debtor.case_id}").text


def _edit(client: TestClient, token: str, kind: str, content: str) -> tuple[int, str]:
    reply = client.post(
        f"/admin/files/{kind}/cn-default",
        data={"content": content, "note": "test", "csrf": token},
    )
    return reply.status_code, reply.text


def _versions(seed: Seed, kind: str) -> int:
    with seed.app.sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(ConfigVersion).where(ConfigVersion.kind == kind)
            )
            or 0
        )


def test_admins_edit_the_phrases_as_versions_and_a_flagged_phrase_is_refused(
    seed: Seed,
) -> None:
    admin, token = _client(seed, "admin1")
    assert 'href="/admin/files/phrases/cn-default"' in admin.get("/admin").text
    shipped = (shipped_phrases_dir() / "cn-default.toml").read_text(encoding="utf-8")
    assert "合规话术" in admin.get("/admin/files/phrases/cn-default").text
    in_force = seed.app.paths.admin_dir("phrases") / "cn-default.toml"

    # a third-party phrase that tells the relative about the debt: refused, nothing written
    flagged = shipped.replace(
        "麻烦您方便的时候转告他，请他尽快给我们回个电话，谢谢您。",
        "麻烦您转告他，他欠银行的钱该还了。",
    )
    status, page = _edit(admin, token, "phrases", flagged)
    assert status == 422 and "situations.third_party.phrases[2]" in page
    assert "向第三方透露欠款" in page and not in_force.exists()
    assert _versions(seed, "phrases") == 0
    # not valid: the file and key named
    status, page = _edit(admin, token, "phrases", shipped.replace('audience = "any"', ""))
    assert status == 422 and "situations.complaint_channel.audience" in page

    added = shipped.replace(
        '  "在您的问题处理完之前，我们会暂停联系您。",',
        '  "在您的问题处理完之前，我们会暂停联系您。",\n  "感谢您的反馈，我们会认真改进。",',
    )
    status, page = _edit(admin, token, "phrases", added)
    assert status == 200 and "已保存为第 2 版" in page, page[:2000]
    assert in_force.read_text(encoding="utf-8") == added
    with seed.app.sessions() as session:
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "phrases.save")).one()
        assert (audit.actor, audit.object_id) == ("admin1", "cn-default")
    agent, _ = _client(seed, "agent2")
    assert "感谢您的反馈，我们会认真改进。" in agent.get("/agent").text
    restored = admin.post(
        "/admin/files/phrases/cn-default/versions/1/restore", data={"csrf": token}
    )
    assert restored.status_code == 303 and in_force.read_text(encoding="utf-8") == shipped
    assert _versions(seed, "phrases") == 3

    # a lexicon edit that would flag an approved phrase is refused, naming the phrase
    lexicon = (shipped_lexicons_dir() / "cn-default.toml").read_text(encoding="utf-8")
    stricter = lexicon.replace('"坐牢", "蹲监狱",', '"官方客服热线", "坐牢", "蹲监狱",', 1)
    assert stricter != lexicon
    status, page = _edit(admin, token, "lexicon", stricter)
    assert status == 422 and "phrases/cn-default.toml: situations.complaint_channel" in page
    assert "对债务人说会被标记或送听" in page
    assert "situations.complaint_channel.phrases[0]" in page
    assert not (seed.app.paths.admin_dir("lexicon") / "cn-default.toml").exists()


def test_a_broken_phrases_file_empties_the_panel_not_the_page(seed: Seed) -> None:
    folder = seed.app.paths.admin_dir("phrases")
    folder.mkdir(parents=True)
    (folder / "cn-default.toml").write_text('version = "x"\n[situations.waiver_request]\n')
    client, _ = _client(seed, "agent2")
    page = client.get("/agent")
    assert page.status_code == 200
    assert "合规话术无法载入" in page.text and "situations.waiver_request.title" in page.text
    assert "<kbd>D</kbd>" in page.text


def test_only_admins_open_or_save_the_phrases(seed: Seed) -> None:
    """No route was added for the phrases: they are a kind of the editor's routes, which the
    route walk (tests/test_console.py) checks with a policy; here with the phrases."""
    for user in ("agent1", "qa1", "sup1", "admin1"):
        client, token = _client(seed, user)
        shown = client.get("/admin/files/phrases/cn-default").status_code
        saved = client.post(
            "/admin/files/phrases/cn-default", data={"content": "x", "csrf": token}
        ).status_code
        if user == "admin1":
            assert (shown, saved) == (200, 422)
        else:
            assert (shown, saved) == (403, 403), user


def test_the_facts_come_from_the_called_partys_words_complaints_and_notes(seed: Seed) -> None:
    """store.wording_facts on this database: a cue the callee said counts (the agent's own
    words do not), a cue with LIKE's wildcards in it matches only itself, a resolved
    complaint, a refusal and a broken promise are found, the number dialled is named."""
    debtor, family = _family_case(seed)
    a01 = _agent_id(seed, "A01")
    before = CALL_DAY - timedelta(days=5)
    with seed.app.sessions.begin() as session:
        relative = session.get_one(PhoneNumber, family.phone_number_id)
        call = answered_call(session, debtor.case_id, relative, a01, before)
        recording = Recording(
            call_attempt_id=call.id, sha256="0" * 64, path="x", size_bytes=1,
            status=RecordingStatus.TRANSCRIBED,
        )  # fmt: skip
        session.add(recording)
        session.flush()
        for start, (speaker, text) in enumerate(
            [
                (Speaker.AGENT, "减免需要您向银行书面申请。"),
                (Speaker.CALLEE, "利息能不能免掉一点？"),
                (Speaker.CALLEE, "利率能降吗"),  # "利_能" as a LIKE pattern would match
            ]
        ):
            session.add(
                Utterance(
                    recording_id=recording.id,
                    speaker=speaker,
                    start_s=float(start),
                    end_s=start + 0.5,
                    text=text,
                )
            )
        for days, outcome, text, amount in (
            (4, "refused", "拒绝还款", None),
            (3, "promise_to_pay", "答应还一千", 100_000),
        ):
            session.add(
                CollectionNote(
                    case_id=debtor.case_id,
                    call_attempt_id=None,
                    agent_id=a01,
                    outcome=outcome,
                    text=text,
                    promised_amount_cents=amount,
                    promised_date=(CALL_DAY - timedelta(days=2)).date() if amount else None,
                    created_at=CALL_DAY - timedelta(days=days),
                )
            )
        new = NewComplaint(debtor.case_id, Channel.PHONE, "态度不好", "qa1")
        complaint = open_complaint(
            session, new, "qa1", CALL_DAY - timedelta(days=9), DueDays(7, 3, 1), "Asia/Shanghai"
        )
        complaint.status = ComplaintStatus.RESOLVED
    zone = ZoneInfo("Asia/Shanghai")
    with seed.app.reads() as session:
        files = case_files(session, [debtor.case_id], CALL_DAY, zone)
        cues = ("免掉", "减免", "利_能")
        facts = wording_facts(
            session, files, cues, zone, RELATION_ZH, {debtor.case_id: family.phone_number_id}
        )[debtor.case_id]
    assert [s.text for s in facts.said] == ["利息能不能免掉一点？"]
    assert facts.dialling_third_party == "家属" and "家属" in facts.third_parties
    assert [(c.source, c.open) for c in facts.complaints] == [("register", False)]
    assert facts.refused_on == (CALL_DAY - timedelta(days=4)).date()
    assert facts.broken_promise_due == (CALL_DAY - timedelta(days=2)).date()
