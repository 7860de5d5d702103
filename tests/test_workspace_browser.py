"""The agent's workspace from the keyboard in Chromium, in Chinese (issue 22 item 5): dial the
next case, the note drafted from the call, edited, saved, then the next case, with no mouse;
single keys typed in the note stay text; the console's own script runs under the CSP."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update

from console.web.dialing import DialRequest
from dialer.keeper import keep_once
from store.models import Case, CollectionNote, PhoneNumber
from tests.browser import log_in, served, shoot, template_copy, watch_problems
from tests.webclient import FakeDialer
from tests.webdata import CALL_DAY, Seed, answered_call, console_app, record_labelled, seed_console

pytestmark = pytest.mark.browser


@dataclass
class TranscribingDialer(FakeDialer):
    """Each call is answered, recorded and transcribed at once: the labelled calls in turn."""

    calls: tuple[str, ...] = ("cw01", "cw11", "cw02")
    attempts: list[int] = field(default_factory=list)

    def dial(self, request: DialRequest) -> None:
        self.requests.append(request)
        with self.app.sessions.begin() as session:
            number = session.get_one(PhoneNumber, request.item.phone_number_id)
            case_id = request.item.case_id
            attempt = answered_call(session, case_id, number, request.agent_id, request.at).id
        self.attempts.append(attempt)
        record_labelled(self.app, self.calls[len(self.attempts) - 1], attempt, request.at)


@pytest.fixture
def seed(tmp_path: Path, sqlite_template: Path) -> Iterator[Seed]:
    app = console_app(template_copy(tmp_path, sqlite_template), tmp_path / "var")
    seeded = seed_console(app, [])
    with app.sessions.begin() as session:  # the deadlines must not follow the wall clock
        session.execute(update(Case).values(imported_at=CALL_DAY))
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)
    yield seeded
    app.engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    yield context.new_page()
    context.close()


def _cases(page: Page) -> list[str]:
    return [row.get_attribute("data-case") or "" for row in page.locator("tbody.case").all()]


def test_a_full_round_from_the_keyboard(page: Page, seed: Seed) -> None:
    dialer = TranscribingDialer(seed.app)
    problems = watch_problems(page)
    with served(seed.app, dialer) as base:
        log_in(page, base, "agent2")
        expect(page.locator("#shortcuts")).to_contain_text("拨打下一个")
        expect(page.locator("#phrases")).to_contain_text("合规话术")
        first = page.locator("tbody.case.current").get_attribute("data-case")
        assert first is not None
        shoot(page, "workspace-worklist")

        # D: dial next. The call is answered and transcribed; the note opens drafted.
        page.keyboard.press("d")
        expect(page.locator("#drafted")).to_contain_text("已根据通话转写预填")
        assert [r.item.case_id for r in dialer.requests] == [int(first)]
        note = page.locator("textarea[name=text]")
        expect(note).to_have_value(re.compile("承诺还款"))
        expect(page.locator("select[name=outcome]")).to_have_value("promise_to_pay")
        expect(page.locator("#phrases details.situation")).to_have_count(4)

        # Edit from the keyboard: single keys in a field are text, not shortcuts.
        page.locator("input[name=promised_amount]").focus()
        page.keyboard.type("2000")
        note.focus()
        page.keyboard.press("Control+End")
        page.keyboard.type("坐席核实：先还两千 d n")
        expect(note).to_have_value(re.compile("坐席核实：先还两千 d n$"))
        assert len(dialer.requests) == 1
        shoot(page, "workspace-note")

        # Ctrl+Enter saves the note from inside the textarea.
        page.keyboard.press("Control+Enter")
        expect(page.locator("section.note")).to_have_count(0)
        with seed.app.sessions() as session:
            saved = session.scalars(
                select(CollectionNote).where(CollectionNote.call_attempt_id == dialer.attempts[0])
            ).one()
        assert (
            saved.text.endswith("坐席核实：先还两千 d n") and saved.promised_amount_cents == 200000
        )
        assert saved.draft_rules is not None  # the draft the form showed is kept beside it

        # N: the next case becomes the one in hand; the panel and "dial next" follow it.
        order = _cases(page)
        now = page.locator("tbody.case.current").get_attribute("data-case")
        assert now in order and order.index(now) + 1 < len(order)
        following = order[order.index(now) + 1]
        page.keyboard.press("n")
        expect(page.locator("tbody.case.current")).to_have_attribute("data-case", following)
        expect(page.locator("tbody.case[aria-current=true]")).to_have_count(1)
        account = page.locator(f"#case-{following}").get_attribute("data-account") or ""
        expect(page.locator("#phrases-for")).to_contain_text(account)
        expect(page.locator("#dial-next input[name=case_id]")).to_have_value(following)
        shoot(page, "workspace-next-case")

        # …and D dials it.
        page.keyboard.press("d")
        expect(page.locator("#drafted")).to_be_visible()
        assert [r.item.case_id for r in dialer.requests] == [int(first), int(following)]
    assert problems == []


def test_a_promise_without_an_amount_is_marked_before_save(page: Page, seed: Seed) -> None:
    """cw01's draft is a promise with no amount: the field is marked (请填写承诺金额…) when the
    form opens, the mark follows what the agent types and chooses, and Ctrl+Enter does not
    send the form while the promise lacks its amount."""
    dialer = TranscribingDialer(seed.app)
    problems = watch_problems(page)
    with served(seed.app, dialer) as base:
        log_in(page, base, "agent2")
        page.keyboard.press("d")
        expect(page.locator("#drafted")).to_be_visible()
        amount = page.locator("input[name=promised_amount]")
        missing = page.locator("#missing-promised_amount")
        expect(amount).to_have_attribute("aria-invalid", "true")
        expect(missing).to_be_visible()
        expect(missing).to_contain_text("请填写承诺金额")
        expect(page.locator("#missing-promised_date")).to_be_hidden()
        shoot(page, "workspace-note-missing-amount")

        page.locator("textarea[name=text]").focus()
        page.keyboard.press("Control+Enter")  # refused by the form itself: nothing is sent
        expect(page.locator("section.note")).to_have_count(1)
        with seed.app.sessions() as session:
            assert session.scalars(select(CollectionNote)).all() == []

        amount.fill("2000")
        expect(missing).to_be_hidden()
        expect(amount).not_to_have_attribute("aria-invalid", "true")
        amount.fill("")
        page.locator("select[name=outcome]").select_option("negotiating")
        expect(missing).to_be_hidden()  # no promise, no amount needed
        page.locator("select[name=outcome]").select_option("promise_to_pay")
        expect(missing).to_be_visible()
    assert problems == []


@dataclass
class LateTranscriptDialer(TranscribingDialer):
    """The call is answered at once (the form opens while it talks); its transcript lands later."""

    threads: list[threading.Thread] = field(default_factory=list)

    def dial(self, request: DialRequest) -> None:
        self.requests.append(request)
        with self.app.sessions.begin() as session:
            number = session.get_one(PhoneNumber, request.item.phone_number_id)
            attempt = answered_call(
                session, request.item.case_id, number, request.agent_id, request.at
            )
        self.attempts.append(attempt.id)
        later = threading.Timer(4.0, record_labelled, (self.app, "cw11", attempt.id, request.at))
        self.threads.append(later)
        later.start()


def test_the_draft_arrives_without_a_reload(page: Page, seed: Seed) -> None:
    dialer = LateTranscriptDialer(seed.app)
    with served(seed.app, dialer) as base:
        log_in(page, base, "agent2")
        page.keyboard.press("d")
        expect(page.locator("section.note")).to_contain_text("通话尚未转写")
        expect(page.locator("#drafted")).to_be_visible(timeout=15_000)  # no reload by hand
        expect(page.locator("select[name=outcome]")).to_have_value("refused")
    for thread in dialer.threads:
        thread.join(10)
