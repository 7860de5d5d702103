"""The note form opens drafted from the call's transcript; the note keeps the draft and what
the agent saved, and QA and the case page show what the agent changed (issue 22, item 3)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from store.models import CallAttempt, CollectionNote, Recording, Utterance
from store.note_drafts import note_changes
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, ["cw01", "cw07"])
    app.engine.dispose()


@pytest.fixture
def client(seed: Seed) -> TestClient:
    return console_client(seed.app, FakeDialer(seed.app))


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def test_the_note_form_is_drafted_from_the_transcript_and_the_draft_is_kept(
    client: TestClient, seed: Seed
) -> None:
    token = login(client, "agent1")
    page = client.get("/agent").text
    # cw01: 这个月发工资就还，二十号之前吧 — on 2026-12-01 (Shanghai), a promise by the 20th;
    # the 一万二千元 is the balance the agent read out, not a promised amount.
    assert "已根据通话转写预填" in page
    assert re.search(r'<option value="promise_to_pay" selected>', page)
    assert _field(page, "promised_date") == "2026-12-20"
    assert _field(page, "promised_amount") == ""
    assert "本人接听；承诺还款：2026-12-20 前。" in page
    assert "二十号之前吧" in page
    draft_of = _field(page, "draft_of")
    saved = client.post(
        "/agent/notes",
        data={
            "attempt_id": seed.attempts["cw01"],
            "outcome": "promise_to_pay",
            "promised_amount": "2000",
            "promised_date": "2026-12-20",
            "text": "本人接听；承诺 20 号前先还两千。",
            "draft_of": draft_of,
            "csrf": token,
        },
    )
    assert saved.status_code == 303, saved.text
    with seed.app.sessions() as session:
        note = session.scalars(
            select(CollectionNote).where(CollectionNote.call_attempt_id == seed.attempts["cw01"])
        ).one()
        assert (note.draft_outcome, note.draft_amount_cents, note.draft_date) == (
            "promise_to_pay",
            None,
            date(2026, 12, 20),
        )
        assert note.draft_text is not None and note.draft_text.startswith("本人接听")
        assert note.draft_rules == "1"
        assert [c.field for c in note_changes(note)] == ["amount", "note"]
        case_id = session.get_one(CallAttempt, seed.attempts["cw01"]).case_id
    case_page = client.get(f"/agent/cases/{case_id}").text
    assert "坐席修改了草稿（2 处）" in case_page and "¥2,000.00" in case_page
    assert "<th>承诺金额</th>" in case_page and "<th>催记</th>" in case_page

    qa = TestClient(client.app, follow_redirects=False)
    login(qa, "qa1")
    call = qa.get(f"/qa/calls/{seed.recordings['cw01']}").text
    assert "催收记录" in call and "坐席修改了草稿（2 处）" in call
    assert "<del>—</del>" in call and "<ins>¥2,000.00</ins>" in call


def test_a_draft_the_form_did_not_show_is_not_kept(client: TestClient, seed: Seed) -> None:
    """Only the transcript the form named is drafted again; a forged or stale one is ignored,
    and a form without one saves a note with no draft."""
    token = login(client, "agent1")
    for attempt, draft_of in ((seed.attempts["cw01"], "999999"), (seed.attempts["cw07"], "")):
        saved = client.post(
            "/agent/notes",
            data={
                "attempt_id": attempt,
                "outcome": "refused",
                "text": "写的记录",
                "draft_of": draft_of,
                "csrf": token,
            },
        )
        assert saved.status_code == 303, saved.text
    with seed.app.sessions() as session:
        notes = session.scalars(select(CollectionNote)).all()
        assert len(notes) == 2 and all(n.draft_rules is None for n in notes)
        assert all(note_changes(n) == [] for n in notes)


def test_a_call_without_a_transcript_opens_a_blank_form(client: TestClient, seed: Seed) -> None:
    with seed.app.sessions.begin() as session:
        for row in session.scalars(select(Recording)):
            row.status = row.status.STORED  # not transcribed yet
    login(client, "agent1")
    page = client.get("/agent").text
    assert "通话尚未转写" in page and "draft_of" not in page
    assert _field(page, "promised_date") == ""


def test_a_note_refused_on_save_keeps_what_the_agent_typed(client: TestClient, seed: Seed) -> None:
    """cw01's draft is a promise with no amount: saving it as drafted is refused, and the
    form that says why shows what the agent typed and chose, not the draft again."""
    token = login(client, "agent1")
    draft_of = _field(client.get("/agent").text, "draft_of")
    typed = "本人接听，20 号前还款，金额待核实。坐席补充：已核对"
    refused = client.post(
        "/agent/notes",
        data={
            "attempt_id": seed.attempts["cw01"],
            "outcome": "promise_to_pay",
            "account_class": "B",
            "promised_amount": "",
            "promised_date": "2026-12-18",
            "text": typed,
            "draft_of": draft_of,
            "csrf": token,
        },
    )
    assert refused.status_code == 409
    page = refused.text
    assert "承诺还款须填写承诺金额和日期" in page
    assert f">{typed}</textarea>" in page
    assert _field(page, "promised_date") == "2026-12-18"
    assert _field(page, "draft_of") == draft_of
    assert re.search(r'<option value="promise_to_pay" selected>', page)
    assert re.search(r'<option value="B" selected>', page)


def test_a_number_said_in_the_call_is_masked_in_the_drafted_note(
    client: TestClient, seed: Seed
) -> None:
    """The draft quotes the callee; a phone number they said stays masked in the page (and
    in the kept draft), as every number on the agent's pages does."""
    with seed.app.sessions.begin() as session:
        line = session.scalars(
            select(Utterance).where(
                Utterance.recording_id == seed.recordings["cw01"],
                Utterance.text.contains("二十号之前"),
            )
        ).one()
        line.text = "这个月发工资就还，二十号之前吧，有事打我新号码13912345678。"
    token = login(client, "agent1")
    page = client.get("/agent").text
    assert "二十号之前吧，有事打我新号码139****5678" in page
    assert "13912345678" not in page
    saved = client.post(
        "/agent/notes",
        data={
            "attempt_id": seed.attempts["cw01"],
            "outcome": "promise_to_pay",
            "promised_amount": "2000",
            "promised_date": "2026-12-20",
            "text": "本人接听，20 号前还两千。",
            "draft_of": _field(page, "draft_of"),
            "csrf": token,
        },
    )
    assert saved.status_code == 303, saved.text
    with seed.app.sessions() as session:
        note = session.scalars(select(CollectionNote)).one()
        assert note.draft_text is not None and "13912345678" not in note.draft_text


def test_the_promised_dates_earliest_day_is_the_centres_today(seed: Seed) -> None:
    """At 07:30 in Shanghai it is still yesterday in UTC: the date field's earliest day is
    the centre's today, the one the server accepts, not UTC's."""
    early = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 2026-12-02 07:30 in Shanghai
    client = console_client(seed.app, FakeDialer(seed.app), at=early)
    login(client, "agent1")
    page = client.get("/agent").text
    assert re.search(r'name="promised_date" type="date" min="2026-12-02"', page)


def test_a_drafted_promise_without_an_amount_marks_the_field_before_saving(
    client: TestClient, seed: Seed
) -> None:
    """cw01's draft is a promise by the 20th with no amount: the form says, in Chinese first,
    that the amount is missing, on the field itself, before the agent presses save (saving it
    as drafted is refused, as before); the date, heard in the call, is not marked."""
    login(client, "agent1")
    page = client.get("/agent").text
    amount = re.search(r'<input name="promised_amount"[^>]*>', page)
    day = re.search(r'<input name="promised_date"[^>]*>', page)
    assert amount and day
    assert 'aria-invalid="true"' in amount.group(0) and "required" in amount.group(0)
    assert 'aria-describedby="missing-promised_amount"' in amount.group(0)
    assert "aria-invalid" not in day.group(0)
    missing = re.search(r'id="missing-promised_amount">([^<]+)<', page)
    assert missing and missing.group(1).startswith("请填写承诺金额")
    assert 'id="missing-promised_date" hidden>' in page  # shown by the page's script if emptied


def test_a_note_refused_for_a_missing_date_marks_the_date(client: TestClient, seed: Seed) -> None:
    token = login(client, "agent1")
    refused = client.post(
        "/agent/notes",
        data={
            "attempt_id": seed.attempts["cw01"],
            "outcome": "promise_to_pay",
            "promised_amount": "2000",
            "promised_date": "",
            "text": "本人接听，承诺还两千",
            "csrf": token,
        },
    )
    assert refused.status_code == 409
    page = refused.text
    assert "承诺还款须填写承诺金额和日期" in page
    day = re.search(r'<input name="promised_date"[^>]*>', page)
    assert day and 'aria-invalid="true"' in day.group(0)
    assert 'id="missing-promised_amount" hidden>' in page
    assert re.search(r'id="missing-promised_date">请填写承诺日期', page)
