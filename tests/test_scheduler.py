"""Worklists and ``schedule preview`` on the sample cases, at the instants that matter."""

from __future__ import annotations

import gc
import inspect
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    Consent,
    ConsentScope,
    ContactType,
    DebtorReach,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
    decide,
    fact_key,
    load_profile,
)
from dialer import worklist_source
from dialer.book import Book, CaseColumns, CaseEntry, NumberEntry
from dialer.scheduler import RETRY_RULE, Schedule, build_schedule, first_call_deadline
from dialer.worklist_source import build_worklists
from store.book_scope import BookScope
from store.case_import import import_cases
from store.db import SessionFactory, make_read_session_factory
from store.enums import AttemptStatus, NumberState
from store.models import Agent, Case, DoNotCall, PhoneNumber
from tests.conftest import SAMPLE_CASES
from tests.dbdata import add_attempts, debtor_targets, load_sample
from tests.helpers import read_csv, write_csv
from tests.test_cli import run

CN = load_profile("cn-default")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def cn(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SHANGHAI)


def entry(
    case_id: int,
    *,
    imported: datetime,
    dpd: int = 30,
    cents: int = 100_000,
    history: list[PastAttempt] | None = None,
    promised: date | None = None,
    contact: ContactType = ContactType.DEBTOR,
    e164: str = "+8613812348000",
) -> NumberEntry:
    connected = [a.at for a in history or [] if a.outcome == Outcome.CONNECTED]
    case = CaseEntry(
        CaseFacts(case_id, "ICBC-CC"),
        f"A{case_id}",
        imported,
        dpd,
        cents,
        None,
        promised,
        attempted=bool(history),
        last_connected_at=max(connected, default=None),
    )
    return NumberEntry(
        case,
        NumberFacts(e164),
        PersonFacts(case_id, contact),
        "mobile",
        AttemptHistory.of(history or []),
    )


def test_first_call_deadline_counts_working_days_not_weekends_or_holidays() -> None:
    friday = cn(2026, 11, 27, 15)
    assert first_call_deadline(friday, CN, SHANGHAI) == datetime(
        2026, 12, 1, 23, 59, 59, tzinfo=SHANGHAI
    )
    before_holiday = cn(2026, 9, 30, 10)  # National Day 10-01..10-07; 10-10 is a worked Saturday
    assert first_call_deadline(before_holiday, CN, SHANGHAI) == datetime(
        2026, 10, 9, 23, 59, 59, tzinfo=SHANGHAI
    )
    assert first_call_deadline(cn(2026, 12, 30, 10), CN, SHANGHAI) is None  # 2027 is unknown


def test_due_order_first_calls_then_promises_then_lost_contact_then_routine() -> None:
    now = cn(2026, 12, 10, 9)
    long_ago = cn(2026, 11, 1, 9)
    talked = [PastAttempt(cn(2026, 12, 8, 10), 4, 4, "+8613812348004", Outcome.CONNECTED)]
    entries = [
        entry(4, imported=long_ago, history=talked, dpd=400, e164="+8613812348004"),
        entry(
            3,
            imported=long_ago,
            e164="+8613812348003",
            dpd=10,
            history=[PastAttempt(cn(2026, 11, 20, 10), 3, 3, "+8613812348003", Outcome.CONNECTED)],
        ),
        entry(
            2,
            imported=long_ago,
            e164="+8613812348002",
            promised=date(2026, 12, 9),
            history=[PastAttempt(cn(2026, 12, 8, 10), 2, 2, "+8613812348002", Outcome.CONNECTED)],
        ),
        entry(1, imported=cn(2026, 12, 9, 9), e164="+8613812348001"),
    ]
    schedule = build_schedule(entries, CN, now, ["A01", "A02"])
    assert [item.entry.case.facts.case_id for item in schedule.dialable] == [1, 2, 3, 4]
    assert [item.rule for item in schedule.dialable] == [
        "schedule.first_call",
        "schedule.promise_follow_up",
        "schedule.lost_contact",
        "schedule.routine",
    ]
    assert {item.agent for item in schedule.dialable} <= {"A01", "A02"}


def test_within_a_tier_the_earliest_deadline_then_most_overdue_then_largest_go_first() -> None:
    now = cn(2026, 12, 10, 9)
    friday, monday = cn(2026, 12, 4, 9), cn(2026, 12, 7, 9)  # deadlines 12-08 and 12-09
    entries = [
        entry(1, imported=monday, dpd=10, cents=5),
        entry(2, imported=monday, dpd=30, cents=1),
        entry(3, imported=monday, dpd=30, cents=9),
        entry(4, imported=friday, dpd=0, cents=0),
        entry(5, imported=monday, dpd=30, cents=9),
        entry(6, imported=monday, dpd=10, cents=1_000_000_000_000),
    ]
    schedule = build_schedule(reversed(entries), CN, now, ["A01"])
    assert [i.entry.case.facts.case_id for i in schedule.dialable] == [4, 3, 5, 2, 6, 1]
    assert schedule.dialable[0].due_by == cn(2026, 12, 8, 23, 59) + timedelta(seconds=59)


def test_a_cases_numbers_follow_it_debtor_first_then_mobile_home_work() -> None:
    now, imported = cn(2026, 12, 10, 9), cn(2026, 12, 9, 9)
    debtor = entry(1, imported=imported, e164="+8613812348001")
    # the debtor cannot be reached, so the third-party gate lets the mother be called
    gone = replace(debtor.case.facts, debtor=DebtorReach(("unreachable",)))
    debtor = replace(debtor, case=replace(debtor.case, facts=gone))
    home = replace(debtor, kind="home", number=NumberFacts("+862168001234"))
    mother = replace(
        debtor, person=PersonFacts(77, ContactType.FAMILY), number=NumberFacts("+8613900000077")
    )
    other_case = entry(2, imported=imported, dpd=999, e164="+8613812348002")  # more overdue
    same_twice = replace(debtor, phone_number_id=5)
    schedule = build_schedule([mother, home, other_case, debtor, same_twice], CN, now, ["A01"])
    assert [(i.entry.case.facts.case_id, i.entry.number.e164) for i in schedule.dialable] == [
        (2, "+8613812348002"),
        (1, "+8613812348001"),
        (1, "+8613812348001"),
        (1, "+862168001234"),
        (1, "+8613900000077"),
    ]
    # the same number listed twice keeps the order it came in
    assert [i.entry.phone_number_id for i in schedule.dialable][1:3] == [0, 5]


def test_a_worklist_reads_the_same_by_index_slice_iteration_and_agent() -> None:
    now, imported = cn(2026, 12, 10, 9), cn(2026, 12, 9, 9)
    entries = [entry(n, imported=imported, e164=f"+86138123480{n:02d}") for n in range(1, 9)]
    schedule = build_schedule(entries, CN, now, ["A01", "A02"])
    items = list(schedule.dialable)
    assert len(schedule.dialable) == len(items) == 8
    assert schedule.dialable[:3] == items[:3] and schedule.dialable[-1] == items[-1]
    assert [i.entry for i in items] == sorted(entries, key=lambda e: e.case.facts.case_id)
    mine = schedule.for_agent("A02")
    assert list(mine) == [i for i in items if i.agent == "A02"] and len(mine) == 4


def test_a_book_gives_back_each_entry_it_was_made_from() -> None:
    imported = cn(2026, 12, 9, 9)
    talked = [PastAttempt(cn(2026, 12, 8, 10), 7, 2, "+8613812348002", Outcome.CONNECTED)]
    debtor = entry(1, imported=imported, promised=date(2026, 12, 20))
    entries = [
        debtor,
        entry(2, imported=imported, history=talked, dpd=400, cents=9, e164="+8613812348002"),
        replace(
            debtor,
            kind="work",
            number=NumberFacts("+862168001234", True, "verified", ("Asia/Shanghai",)),
            person=PersonFacts(8, ContactType.COLLEAGUE),
            phone_number_id=12,
        ),
    ]
    book = Book.of(entries)
    assert len(book.cases) == 2 and len(book.numbers) == 3
    assert [book.entry(i) for i in range(3)] == entries
    # a case is kept as its first entry has it
    other = replace(debtor, case=replace(debtor.case, account_no="changed"))
    assert Book.of([debtor, other]).entry(1).case == debtor.case


def test_blocked_numbers_read_the_same_by_index_slice_and_iteration() -> None:
    evening = cn(2026, 12, 1, 20, 30)
    entries = [entry(n, imported=evening, e164=f"+86138123480{n:02d}") for n in range(1, 6)]
    blocked = build_schedule(entries, CN, evening, ["A01"]).blocked
    items = list(blocked)
    assert len(blocked) == len(items) == 5
    assert blocked[1:3] == items[1:3] and blocked[-1] == items[-1]
    assert [b.entry for b in items] == entries
    assert {b.rule for b in items} == {"company.window"}


def test_unanswered_number_waits_for_the_next_retry_slot() -> None:
    missed = [PastAttempt(cn(2026, 12, 10, 8, 30), 1, 1, "+8613812348001", Outcome.UNANSWERED)]
    e = entry(1, imported=cn(2026, 11, 1, 9), history=missed, e164="+8613812348001")
    morning = build_schedule([e], CN, cn(2026, 12, 10, 10), [])
    assert not morning.dialable
    assert morning.blocked[0].rule == RETRY_RULE
    assert morning.blocked[0].next_allowed_at == cn(2026, 12, 10, 11)
    assert build_schedule([e], CN, cn(2026, 12, 10, 11, 5), []).dialable


@pytest.fixture
def sample_db(db_url: str, sessions: SessionFactory) -> str:
    load_sample(sessions)
    with sessions.begin() as session:
        session.add_all(
            [
                Agent(code="A01", name="王芳", sip_endpoint="PJSIP/a01"),
                Agent(code="A02", name="李强", sip_endpoint="PJSIP/a02"),
            ]
        )
        # pin the import date so first-call deadlines do not depend on the day the tests run
        session.execute(update(Case).values(imported_at=datetime(2026, 11, 20, 2, tzinfo=UTC)))
    return db_url


def preview(tmp_path: Path, db_url: str, at: str, *extra: str) -> dict[str, object]:
    result = run(["schedule", "preview", "--at", at, "--json", *extra], tmp_path, db_url)
    assert result.returncode == 0, result.stderr
    doc: dict[str, object] = json.loads(result.stdout)
    return doc


def test_preview_json_shape_and_masking(tmp_path: Path, sample_db: str) -> None:
    doc = preview(tmp_path, sample_db, "2026-12-01 08:05")
    assert doc["at"] == "2026-12-01T08:05:00+08:00"
    assert str(doc["profile"]).startswith("cn-default@")
    dialable, blocked = doc["dialable"], doc["blocked"]
    assert isinstance(dialable, list) and isinstance(blocked, list)
    assert len(dialable) > 80 and blocked
    for item in [*dialable, *blocked]:
        assert set(item) >= {"case", "number", "reason", "rule", "next_allowed_at"}
        assert "****" in item["number"]
    # stolen / jailed / deceased; third parties wait until the debtor cannot be reached
    assert {b["rule"] for b in blocked} == {"law.case_status", "cba.third_party_gate"}


@pytest.mark.parametrize(
    ("at", "dialable", "rule"),
    [
        ("2026-10-02 10:00", False, "law.statutory_holidays"),
        ("2026-10-10 10:00", True, None),  # 调休 Saturday
        ("2026-12-01 19:59", True, None),
        ("2026-12-01 20:00", False, "company.window"),
        ("2027-01-05 10:00", False, "law.statutory_holidays"),  # no calendar for 2027 yet
    ],
)
def test_preview_at_chosen_instants(
    tmp_path: Path, sample_db: str, at: str, dialable: bool, rule: str | None
) -> None:
    doc = preview(tmp_path, sample_db, at)
    assert bool(doc["dialable"]) is dialable
    if rule:
        expected = {rule, "law.case_status", "cba.third_party_gate"}
        assert all(b["rule"] in expected for b in doc["blocked"])  # type: ignore[union-attr,index]


def test_preview_for_one_agent_and_after_calls(
    tmp_path: Path, sample_db: str, sessions: SessionFactory
) -> None:
    everyone = preview(tmp_path, sample_db, "2026-12-01 09:00")
    mine = preview(tmp_path, sample_db, "2026-12-01 09:00", "--agent", "A01")
    assert 0 < len(mine["dialable"]) < len(everyone["dialable"])  # type: ignore[arg-type]
    assert all(item["agent"] == "A01" for item in mine["dialable"])  # type: ignore[union-attr,index]
    target = debtor_targets(sessions)[0]
    add_attempts(
        sessions, target, [cn(2026, 12, 1, 8, m) for m in range(3)], AttemptStatus.ANSWERED
    )
    after = preview(tmp_path, sample_db, "2026-12-01 09:00")
    capped = [b for b in after["blocked"] if b["rule"] == "company.cap.connected"]  # type: ignore[union-attr,index]
    assert capped and capped[0]["next_allowed_at"] == "2026-12-02T00:00:00+00:00"


def test_the_book_build_decides_each_number_as_decide_alone_does(
    sample_db: str, sessions: SessionFactory
) -> None:
    # The build decides a number without history once per kind of number; check every
    # number against its own, unshared decision.
    targets = debtor_targets(sessions)
    add_attempts(
        sessions, targets[0], [cn(2026, 12, 1, 8, m) for m in range(3)], AttemptStatus.ANSWERED
    )
    with sessions.begin() as session:
        session.add(DoNotCall(e164=targets[5].e164, reason="asked", created_by="test"))
    at = cn(2026, 12, 1, 9)
    with sessions() as session:
        schedule = build_worklists(session, CN, at, ["A01", "A02"])
    items = [(i.entry, None) for i in schedule.dialable]
    items += [(b.entry, b.rule) for b in schedule.blocked]
    assert len(schedule.dialable) > 10 and len(items) > len(schedule.dialable)
    for entry, blocked_by in items:
        alone = decide(entry.number, entry.person, entry.case.facts, entry.history, at, CN)
        assert alone.rule_id == (None if blocked_by == RETRY_RULE else blocked_by), entry
    rules = {b.rule for b in schedule.blocked}
    assert {"company.cap.connected", "law.do_not_call", "law.case_status"} <= rules


def test_a_cases_numbers_of_one_kind_keep_the_case_files_order(
    sample_db: str, sessions: SessionFactory
) -> None:
    with sessions.begin() as session:  # every debtor unreachable: their contacts may be called
        debtors = select(Case.debtor_id)
        session.execute(
            update(PhoneNumber)
            .where(PhoneNumber.person_id.in_(debtors))
            .values(state=NumberState.UNREACHABLE)
        )
    with sessions() as session:
        schedule = build_worklists(session, CN, cn(2026, 12, 1, 9), ["A01", "A02"])
    places = [
        (
            i.entry.case.facts.case_id,
            i.entry.person.contact_type != ContactType.DEBTOR,
            ("mobile", "home", "work", "other").index(i.entry.kind),
            i.entry.person.person_id,
            i.entry.number.e164,
        )
        for i in schedule.dialable
    ]
    contacts_sharing_a_kind = 0
    for before, after in pairwise(places):
        if before[0] == after[0]:  # the same case: debtor first, then by kind, then in file order
            assert before <= after
            contacts_sharing_a_kind += before[1:3] == after[1:3] == (True, 0)
    assert contacts_sharing_a_kind > 5


def test_a_case_imported_while_the_book_is_read_waits_for_the_next_build(
    sample_db: str, sessions: SessionFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A second account for a debtor already in the book, imported (and committed) just after
    # the build has read the cases: on PostgreSQL the number queries then see the new case.
    header, rows = read_csv(SAMPLE_CASES)
    late = [*rows[0]]
    late[header.index("account_no")] = "LATE-0001"
    path = write_csv(tmp_path / "late.csv", header, [late])
    read_cases = worklist_source.load_cases

    def then_import(session: Session, scope: BookScope) -> tuple[CaseColumns, dict[int, int]]:
        found = read_cases(session, scope)
        import_cases(path, sessions, "test")
        return found

    monkeypatch.setattr(worklist_source, "load_cases", then_import)
    at = cn(2026, 12, 1, 9)
    # The console builds worklists in a read session: it does not hold SQLite's write lock.
    with make_read_session_factory(sessions.kw["bind"])() as session:
        during = build_worklists(session, CN, at, ["A01"])
    monkeypatch.undo()
    with sessions() as session:
        after = build_worklists(session, CN, at, ["A01"])

    def accounts(schedule: Schedule) -> set[str]:
        return {i.entry.case.account_no for i in [*schedule.dialable, *schedule.blocked]}

    assert "LATE-0001" not in accounts(during) and "LATE-0001" in accounts(after)
    assert len(after.dialable) > len(during.dialable)


def test_the_schedulers_kind_of_number_covers_every_fact_the_engine_memo_reads() -> None:
    # dialer.scheduler decides numbers without history once per (case kind, contact type,
    # do-not-call, number state, zones): if the engine's key grows a fact, that must too.
    assert list(inspect.signature(fact_key).parameters) == [
        "contact_type",
        "client_bank",
        "case_status",
        "hold_reason",
        "do_not_call",
        "number_state",
        "debtor",
        "consents",
    ]


CONSENTING = load_profile(Path(__file__).parent / "fixtures" / "policy" / "cn-consenting.toml")


@pytest.mark.parametrize("consenting_first", [True, False])
def test_the_schedulers_kinds_keep_a_consenting_debtor_apart(consenting_first: bool) -> None:
    """Numbers without history are decided once per kind: a consent must make its own kind
    for the debtor (in either order of the book), and none for a third party."""
    at = cn(2026, 12, 1, 21, 30)
    given = Consent(7, ConsentScope.WINDOW, at - timedelta(days=1), at + timedelta(days=1))
    imported = cn(2026, 11, 30, 9)

    def with_consent(item: NumberEntry) -> NumberEntry:
        facts = replace(item.case.facts, consents=(given,))
        return replace(item, case=replace(item.case, facts=facts))

    consenting = [
        with_consent(entry(1, imported=imported)),
        with_consent(
            entry(1, imported=imported, contact=ContactType.FAMILY, e164="+8613912345678")
        ),
    ]
    plain = [entry(2, imported=imported, e164="+8613812348001")]
    book = [*consenting, *plain] if consenting_first else [*plain, *consenting]
    schedule = build_schedule(book, CONSENTING, at, ["A01"])
    dialable = {item.entry.case.facts.case_id: item for item in schedule.dialable}
    assert set(dialable) == {1}
    assert dialable[1].entry.person.contact_type == ContactType.DEBTOR
    assert (
        "consent #7 (window, until 2026-12-02 21:30) relaxes company.window" in dialable[1].reason
    )
    assert "债务人同意时段外拨打（同意 #7" in dialable[1].reason
    blocked = {
        (b.entry.case.facts.case_id, b.entry.person.contact_type): b for b in schedule.blocked
    }
    assert blocked[2, ContactType.DEBTOR].rule == "company.window"
    assert (
        blocked[1, ContactType.FAMILY].rule != ""
        and "relaxes" not in blocked[1, ContactType.FAMILY].reason
    )


def test_the_book_build_leaves_the_collector_as_the_caller_had_it(
    sample_db: str, sessions: SessionFactory
) -> None:
    with sessions() as session:
        build_worklists(session, CN, cn(2026, 12, 1, 9), [])
        assert gc.isenabled()
        gc.disable()
        try:
            build_worklists(session, CN, cn(2026, 12, 1, 9), [])
            assert not gc.isenabled()
        finally:
            gc.enable()


def test_policy_check_shows_the_effect_and_rejects_a_bad_profile(
    tmp_path: Path, sample_db: str
) -> None:
    good = tmp_path / "short.toml"
    good.write_text(
        'id = "short"\nversion = "1"\nextends = "cn-default"\n[[rules]]\n'
        'id = "co.short"\nlayer = "company"\nkind = "window"\nstart = "09:00"\n'
        'end = "18:00"\nsource = "trial"\n',
        encoding="utf-8",
    )
    result = run(["policy", "check", str(good), "--at", "2026-12-01 08:30"], tmp_path, sample_db)
    assert result.returncode == 0, result.stderr
    assert "dialable → 0" in result.stdout and "blocked by co.short: 0 →" in result.stdout
    # the consents' rules are named (issue 19): the guideline's, not the company's own
    assert (
        "rules a debtor's consent may relax: cba.window (window), "
        "cba.cap.unanswered_per_number (frequency)\n" in result.stdout
    )
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "bad"\nversion = "1"\n[[rules]]\nid = "x"\nlayer = "law"\n'
        'kind = "cap"\nper = "person"\noutcome = "sometimes"\nmax = 3\n'
        'period = "calendar_day"\nsource = "s"\n',
        encoding="utf-8",
    )
    rejected = run(["policy", "check", str(bad)], tmp_path, sample_db)
    assert rejected.returncode == 3
    assert f"{bad}: rules[0] (x).outcome：应为以下之一" in rejected.stderr  # the CLI: Chinese
    assert "active profile stays" in rejected.stderr


def test_an_evening_block_in_the_schedule_names_the_next_morning() -> None:
    now = cn(2026, 12, 1, 20, 30)
    schedule = build_schedule([entry(1, imported=now - timedelta(days=1))], CN, now, [])
    assert schedule.blocked[0].next_allowed_at == cn(2026, 12, 2, 8)


def test_due_ness_looks_at_all_time_not_just_the_policy_lookback(
    tmp_path: Path, sample_db: str, sessions: SessionFactory
) -> None:
    """A case answered 10 days ago is not a first call; one answered yesterday is routine."""
    first, second = debtor_targets(sessions)[0], debtor_targets(sessions)[3]
    add_attempts(sessions, first, [cn(2026, 11, 21, 10)], AttemptStatus.ANSWERED)
    add_attempts(sessions, second, [cn(2026, 11, 30, 10)], AttemptStatus.ANSWERED)
    doc = preview(tmp_path, sample_db, "2026-12-01 09:00")
    rules = {(item["case"], item["number"]): item["rule"] for item in doc["dialable"]}  # type: ignore[union-attr,index]
    by_case = {case: rule for (case, _), rule in rules.items()}
    with sessions() as session:
        accounts = {cid: acct for cid, acct in session.execute(select(Case.id, Case.account_no))}
    assert by_case[accounts[first.case_id]] == "schedule.lost_contact"
    assert by_case[accounts[second.case_id]] == "schedule.routine"
    assert "schedule.first_call" in by_case.values()


def test_a_case_whose_debtor_was_reached_today_goes_after_the_rest() -> None:
    """An agent who just spoke with a debtor is not offered that case again next: cases
    reached today (any tier) follow every case not reached today, in their usual order."""
    now = cn(2026, 12, 10, 11)
    today, before = cn(2026, 12, 10, 10), cn(2026, 12, 8, 10)

    def talked(case_id: int, at: datetime) -> list[PastAttempt]:
        return [PastAttempt(at, case_id, case_id, f"+861381234800{case_id}", Outcome.CONNECTED)]

    long_ago = cn(2026, 11, 1, 9)
    entries = [
        entry(5, imported=long_ago, dpd=400, history=talked(5, today), e164="+8613812348005"),
        entry(6, imported=long_ago, dpd=10, history=talked(6, before), e164="+8613812348006"),
        entry(
            7,
            imported=long_ago,
            promised=date(2026, 12, 10),
            history=talked(7, today),
            e164="+8613812348007",
        ),
        entry(8, imported=long_ago, dpd=5, history=talked(8, before), e164="+8613812348008"),
    ]
    schedule = build_schedule(entries, CN, now, ["A01"])
    assert [i.entry.case.facts.case_id for i in schedule.dialable] == [6, 8, 7, 5]
    # tomorrow they are due as before: the promise first, then the most overdue
    tomorrow = build_schedule(entries, CN, cn(2026, 12, 11, 9), ["A01"])
    assert [i.entry.case.facts.case_id for i in tomorrow.dialable][:2] == [7, 5]
