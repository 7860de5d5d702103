"""The agent's worklist as cases (issue 22 item 1): one row per case in the kept schedule's
order, its numbers in calling order with who each one is, a blocked number's reason in
Chinese with its next time, the filters, and never another agent's case."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from console import worklists
from console.web.dialing import NoDialer
from dialer.keeper import keep_once
from store import kept_schedule as kept
from store.enums import AttemptStatus, HoldReason
from store.holds import place_hold
from store.models import Agent, Case, CaseContact, CollectionNote, PhoneNumber
from store.pii import mask_name
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, Seed, console_app, seed_console

CASE_ROW = re.compile(r'<tbody class="case[^"]*" id="case-(\d+)" data-case="\d+"')
WHO = re.compile(r'<td class="who">([^<]+)</td>')
LONG_AGO = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
"""An import whose first-call deadline has passed: due today (and overdue)."""


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    seeded = seed_console(app, [])
    with app.sessions.begin() as session:  # the deadlines must not follow the wall clock
        session.execute(update(Case).values(imported_at=CALL_DAY))
    yield seeded
    app.engine.dispose()


def owner_pass(seed: Seed) -> None:
    app = seed.app
    keep_once(app.sessions, app.reads, app.profile(), CALL_DAY)


def never(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the page built the schedule although the kept rows were fresh")


def agent_page(seed: Seed, username: str, show: str = "") -> str:
    client = console_client(seed.app, FakeDialer(seed.app))
    login(client, username)
    page = client.get("/agent" + (f"?show={show}" if show else ""))
    assert page.status_code == 200, page.text
    return page.text


def case_ids(page: str) -> list[int]:
    return [int(found) for found in CASE_ROW.findall(page)]


def case_block(page: str, case_id: int) -> str:
    block = page[page.index(f'id="case-{case_id}"') :]
    return block[: block.index("</tbody>")]


def agent_id(seed: Seed, code: str) -> int:
    with seed.app.sessions() as session:
        return session.scalars(select(Agent.id).where(Agent.code == code)).one()


def assign(seed: Seed, case_id: int, code: str) -> None:
    mine = agent_id(seed, code)
    with seed.app.sessions.begin() as session:
        session.get_one(Case, case_id).assigned_agent_id = mine


def one_per_case(seed: Seed) -> Iterator[Target]:
    """Each active case's debtor's first number."""
    seen: set[int] = set()
    for target in debtor_targets(seed.app.sessions):
        if target.case_id not in seen:
            seen.add(target.case_id)
            yield target


def a_case_with(seed: Seed, relation: str) -> tuple[Target, Target]:
    """The first active case with a contact of ``relation``: its debtor's first number and
    that contact's first number."""
    debtors = {t.case_id: t for t in reversed(debtor_targets(seed.app.sessions))}
    contact = next(t for t in contact_targets(seed.app.sessions, relation) if t.case_id in debtors)
    return debtors[contact.case_id], contact


def test_one_row_per_case_in_the_kept_order_numbers_by_relation(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner_pass(seed)
    monkeypatch.setattr(worklists, "build_worklists", never)
    page = agent_page(seed, "agent2")
    shown = case_ids(page)
    with seed.app.reads() as session:
        expected, total = kept.first_cases(session, "A02", 50)
    assert shown == expected != [] and len(set(shown)) == len(shown)
    assert f"{total} 个案件" in page
    debtor, family = a_case_with(seed, "family")
    if debtor.case_id not in shown:
        page = agent_page(seed, "agent1")
    block = case_block(page, debtor.case_id)
    with seed.app.sessions() as session:
        case = session.get_one(Case, debtor.case_id)
        contacts = session.scalars(
            select(CaseContact.relation).where(CaseContact.case_id == case.id)
        ).all()
        debtor_numbers = session.scalars(
            select(PhoneNumber.id).where(PhoneNumber.person_id == case.debtor_id)
        ).all()
        name = case.debtor.name
        amount = f"¥{case.amount_overdue_cents / 100:,.2f}"
    who = WHO.findall(block)
    # the debtor's numbers first, then the contacts', each named by relation, not by kind
    assert who[: len(debtor_numbers)] == ["债务人"] * len(debtor_numbers)
    assert "家属" in who[len(debtor_numbers) :] and "mobile" not in who
    assert len(who) >= len(debtor_numbers) + len(contacts)
    # the queue masks the debtor's name as the wallboard does (张三丰 → 张**); the full name is
    # on the agent's own case page, where the identity check before any word on the debt needs it
    assert mask_name(name) in block and name not in page
    assert amount in block and "首次外呼期限" in block
    assert "从未联系" in block  # last contact: none yet
    assert family.e164 not in page and family.e164[-4:] in block  # masked


def test_a_third_party_shows_the_gates_reason_then_its_interval_and_next_time(
    seed: Seed,
) -> None:
    debtor, family = a_case_with(seed, "family")
    assign(seed, debtor.case_id, "A02")
    owner_pass(seed)
    block = case_block(agent_page(seed, "agent2"), debtor.case_id)
    assert "第三方：尚未联系过债务人，暂不能联系第三方" in block
    assert block.count('name="phone_number_id"') >= 1  # the debtor's own numbers are offered
    # the debtor unanswered three times yesterday, the relative answered this morning
    yesterday = [CALL_DAY - timedelta(days=1, hours=h) for h in (3, 2, 1)]
    add_attempts(seed.app.sessions, debtor, yesterday, AttemptStatus.NO_ANSWER)
    add_attempts(
        seed.app.sessions, family, [CALL_DAY - timedelta(minutes=30)], AttemptStatus.ANSWERED
    )
    keep_once(seed.app.sessions, seed.app.reads, seed.app.profile(), CALL_DAY)
    block = case_block(agent_page(seed, "agent2"), debtor.case_id)
    rows = re.findall(r'<tr class="number (\w+)">(.*?)</tr>', block, re.S)
    called = [body for state, body in rows if family.e164[-4:] in body]
    assert len(called) == 1 and "联系间隔：" in called[0] and "下次可拨 2026-12-0" in called[0]
    assert "第三方：" not in block  # the gate now lets the other contacts through
    assert "已接通" in block  # the last contact


def test_filters_due_today_promises_never_contacted_and_my_holds(seed: Seed) -> None:
    targets = list(one_per_case(seed))
    overdue, promised, called, held = (targets[i] for i in (0, 5, 10, 15))
    for target in (overdue, promised, called, held):
        assign(seed, target.case_id, "A02")
    a02 = agent_id(seed, "A02")
    with seed.app.sessions.begin() as session:
        session.get_one(Case, overdue.case_id).imported_at = LONG_AGO
        place_hold(
            session,
            session.get_one(Case, held.case_id).account_no,
            HoldReason.COMPLAINT_TENDENCY,
            "客户称要投诉",
            "sup1",
            CALL_DAY,
        )
    earlier = [CALL_DAY - timedelta(days=2)]
    add_attempts(seed.app.sessions, promised, earlier, AttemptStatus.ANSWERED)
    add_attempts(seed.app.sessions, called, earlier, AttemptStatus.NO_ANSWER)
    with seed.app.sessions.begin() as session:
        session.add(
            CollectionNote(
                case_id=promised.case_id,
                agent_id=a02,
                outcome="promise_to_pay",
                promised_amount_cents=500_000,
                promised_date=date(2026, 11, 30),
                text="答应周一还五千",
                created_at=CALL_DAY - timedelta(days=2),
            )
        )
    owner_pass(seed)
    every = case_ids(agent_page(seed, "agent2"))
    assert {overdue.case_id, promised.case_id, called.case_id} <= set(every)
    assert held.case_id not in every  # held: no number is dealt
    due = case_ids(agent_page(seed, "agent2", "due_today"))
    assert due == [overdue.case_id]  # the others' first-call deadlines are days away
    promises = agent_page(seed, "agent2", "promises")
    assert case_ids(promises) == [promised.case_id]
    assert "承诺 ¥5,000.00 于 2026-11-30" in promises
    never_called = case_ids(agent_page(seed, "agent2", "never"))
    assert overdue.case_id in never_called
    assert promised.case_id not in never_called and called.case_id not in never_called
    assert set(never_called) < set(every)
    holds = agent_page(seed, "agent2", "holds")
    assert case_ids(holds) == [held.case_id]
    assert "停催：投诉倾向（客户称要投诉），待主管解除" in case_block(holds, held.case_id)
    assert 'name="phone_number_id"' not in holds


def test_another_agents_case_never_appears(seed: Seed) -> None:
    targets = list(one_per_case(seed))
    theirs, held = targets[1].case_id, targets[2].case_id
    assign(seed, theirs, "A01")
    assign(seed, held, "A01")
    with seed.app.sessions.begin() as session:
        account = session.get_one(Case, held).account_no
        place_hold(session, account, HoldReason.MANUAL, "", "sup1", CALL_DAY)
    owner_pass(seed)
    for show in ("", "due_today", "promises", "never", "holds"):
        mine = set(case_ids(agent_page(seed, "agent2", show)))
        assert theirs not in mine and held not in mine, show
    first, second = case_ids(agent_page(seed, "agent1")), case_ids(agent_page(seed, "agent2"))
    assert theirs in first and not set(first) & set(second)
    assert held in case_ids(agent_page(seed, "agent1", "holds"))


def test_an_unknown_filter_is_refused(seed: Seed) -> None:
    client: TestClient = console_client(seed.app, FakeDialer(seed.app))
    login(client, "agent2")
    assert client.get("/agent?show=everything").status_code == 422


def test_a_number_in_a_holds_detail_is_masked_on_my_holds(seed: Seed) -> None:
    """A hold's detail is free text (an admin's words, or the callee's line the detector
    quoted): a number in it is masked on the worklist, as on the case page."""
    held = next(one_per_case(seed))
    assign(seed, held.case_id, "A02")
    with seed.app.sessions.begin() as session:
        place_hold(
            session,
            session.get_one(Case, held.case_id).account_no,
            HoldReason.COMPLAINT_TENDENCY,
            "6.7s: 你们再打，我就让我律师打你13912345678",
            "detector",
            CALL_DAY,
        )
    owner_pass(seed)
    holds = agent_page(seed, "agent2", "holds")
    assert "我就让我律师打你139****5678" in case_block(holds, held.case_id)
    assert "13912345678" not in holds


def test_a_console_that_places_no_calls_says_so_and_how_to_get_one(seed: Seed) -> None:
    """The demo serves its console without a dialer: the worklist says, in Chinese first,
    that this console places no calls and which one does; starting a sandbox beside it
    (what the old words told the agent to do) would change nothing."""
    owner_pass(seed)
    client = console_client(seed.app, NoDialer())  # type: ignore[arg-type]
    login(client, "agent2")
    page = client.get("/agent").text
    assert "本控制台不外呼" in page and "callwarden web serve" in page
    assert "start it with `callwarden sandbox up`" not in page
    assert re.search(r'<button type="submit" aria-keyshortcuts="D" disabled>', page)
