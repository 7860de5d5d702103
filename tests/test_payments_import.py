"""Payment import end to end on both databases: a file with errors, then a clean one;
re-imports; amounts and days as banks write them; paid-in-full cases leave the worklists."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, delete, func, select, update

from compliance.policy import load_profile
from dialer.worklist_source import build_worklists
from store.case_import import import_cases
from store.db import SessionFactory
from store.enums import CaseStatus
from store.errors import ImportRejected
from store.models import AuditLog, Case, ClientBank, Payment, ScheduleMark
from store.payments import PaymentReport, import_payments
from tests.conftest import SAMPLE_CASES
from tests.helpers import read_csv, snapshot, write_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)  # 12:00 on 10 December in Shanghai
IMPORTED = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 01:00 on 1 December in Shanghai
AGENTS = ["A01", "A02"]
HEADER = ["client_bank", "account_no", "amount", "paid_on", "channel", "reference"]


def _sample_accounts() -> list[tuple[str, str, str]]:
    """(bank, account, amount overdue) of the sample cases."""
    header, rows = read_csv(SAMPLE_CASES)
    bank, acct, amount = (header.index(c) for c in ("client_bank", "account_no", "amount_overdue"))
    return [(r[bank], r[acct], r[amount]) for r in rows]


@pytest.fixture
def cases(sessions: SessionFactory) -> list[tuple[str, str, str]]:
    import_cases(SAMPLE_CASES, sessions, "test")
    with sessions.begin() as session:  # imported on 1 December, whatever the real clock says
        session.execute(update(Case).values(imported_at=IMPORTED))
    return _sample_accounts()


def _import(path: Path, sessions: SessionFactory, bank: str | None = None) -> PaymentReport:
    return import_payments(path, sessions, "tester", now=NOW, zone=SHANGHAI, bank=bank)


def _reject(path: Path, sessions: SessionFactory) -> list[str]:
    lines: list[str] = []
    with pytest.raises(ImportRejected) as info:
        import_payments(path, sessions, "t", now=NOW, zone=SHANGHAI, report=lines.append)
    assert info.value.total == len(lines) and lines
    return lines


def _count(sessions: SessionFactory, model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_file_with_errors_names_each_and_stores_nothing_then_the_clean_one_imports(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    (b0, a0, _), (b1, a1, _), (b2, a2, _) = cases[:3]
    good = [
        [b0, a0, "1,000.00", "2026-12-01", "网银", "T001"],
        [b1, a1, "¥500", "2026/12/02", "柜面", ""],
        [b2, a2, "￥1,234.56元", "2026年12月3日", "代扣", "T003"],
    ]
    bad = [
        *good,
        [b0, "6200000000000", "10", "2026-12-01", "网银", ""],  # row 5: unknown account
        [b0, a0, "-5", "2026-12-01", "网银", "T5"],  # row 6: negative
        [b0, a0, "0", "2026-12-01", "网银", "T6"],  # row 7: zero
        [b0, a0, "10", "01/12/2026", "网银", "T7"],  # row 8: day-first date
        [b0, a0, "10", "2026-12-11", "网银", "T8"],  # row 9: tomorrow
        [b0, a0, "10", "2026-12-01", '=HYPERLINK("x")', "T9"],  # row 10: formula
        [b0, a0, "1,000.00", "2026-12-01", "网银", "T001"],  # row 11: row 2 again
        [b0, a0, "10", "2026-02-30", "", "T12"],  # row 12: no such day, no channel
        ["NOBANK", a0, "10", "2026-12-01", "网银", "T13"],  # row 13: unknown bank
    ]
    before = snapshot(engine)
    path = write_csv(tmp_path / "payments.csv", HEADER, bad)
    lines = _reject(path, sessions)
    assert sorted(lines) == sorted(
        [
            f"{path}:5:account_no: unknown account '6200000000000': no case at {b0}",
            f"{path}:6:amount: must be more than 0, got -5",
            f"{path}:7:amount: must be more than 0, got 0",
            f"{path}:8:paid_on: not a date: '01/12/2026' (write YYYY-MM-DD, YYYY/MM/DD, "
            "YYYY.MM.DD, YYYYMMDD or YYYY年MM月DD日)",
            f"{path}:9:paid_on: 2026-12-11 is after today (2026-12-10)",
            f"{path}:10:channel: starts with '=': a spreadsheet formula",
            f"{path}:11:reference: the same payment as row 2 (account, day, amount, channel "
            "and reference alike): two payments need two references",
            f"{path}:12:channel: required",
            f"{path}:12:paid_on: not a real date: '2026-02-30'",
            f"{path}:13:client_bank: no client bank 'NOBANK'",
        ]
    )
    assert snapshot(engine) == before

    report = _import(write_csv(tmp_path / "payments-fixed.csv", HEADER, good), sessions)
    assert (report.rows, report.counts.added, report.counts.already_imported) == (3, 3, 0)
    with sessions() as session:
        stored = session.execute(
            select(Case.account_no, Payment.amount_cents, Payment.paid_on, Payment.channel)
            .join(Case, Case.id == Payment.case_id)
            .order_by(Payment.paid_on)
        ).all()
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "payments.import")).one()
    assert [tuple(r) for r in stored] == [
        (a0, 100000, date(2026, 12, 1), "网银"),
        (a1, 50000, date(2026, 12, 2), "柜面"),
        (a2, 123456, date(2026, 12, 3), "代扣"),
    ]
    assert audit.actor == "tester" and audit.detail["added"] == 3
    assert audit.detail["sha256"] == report.sha256


def test_reimporting_adds_nothing_and_an_overlapping_file_only_its_new_payments(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    rows = [[b, a, "100.00", "20261201", "网银", ""] for b, a, _ in cases[:10]]
    path = write_csv(tmp_path / "daily.csv", HEADER, rows)
    assert _import(path, sessions).counts.added == 10
    payments_before = snapshot(engine)["payment"]
    cases_before = snapshot(engine)["collection_case"]
    again = _import(path, sessions)
    assert (again.counts.added, again.counts.already_imported) == (0, 10)
    assert snapshot(engine)["payment"] == payments_before
    assert snapshot(engine)["collection_case"] == cases_before
    monthly = [*rows, [cases[0][0], cases[0][1], "100.00", "2026-12-05", "网银", ""]]
    report = _import(write_csv(tmp_path / "monthly.csv", HEADER, monthly), sessions)
    assert (report.counts.added, report.counts.already_imported) == (1, 10)
    assert _count(sessions, Payment) == 11


def test_paid_in_full_closes_the_case_marks_the_schedule_and_leaves_the_worklist(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory
) -> None:
    profile = load_profile("cn-default")
    at = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Thursday
    (bank, account, overdue), (bank2, account2, _) = cases[0], cases[1]
    with sessions.begin() as session:
        case_id = session.scalars(select(Case.id).where(Case.account_no == account)).one()
        other_id = session.scalars(select(Case.id).where(Case.account_no == account2)).one()
        session.execute(delete(ScheduleMark))
    with sessions() as session:
        dialable = {
            i.entry.case.facts.case_id
            for i in build_worklists(session, profile, at, AGENTS).dialable
        }
    assert case_id in dialable
    half = f"{float(overdue) / 2:.2f}"
    rest = f"{float(overdue) - float(half):.2f}"
    rows = [
        [bank, account, half, "2026-12-08", "网银", "A"],
        [bank, account, rest, "2026-12-09", "手机银行", "B"],
        [bank2, account2, "1.00", "2026-12-09", "网银", ""],
    ]
    report = _import(write_csv(tmp_path / "paid.csv", HEADER, rows), sessions)
    assert report.counts.cases_paid == [case_id]
    with sessions() as session:
        assert session.get_one(Case, case_id).status is CaseStatus.PAID
        assert session.get_one(Case, other_id).status is CaseStatus.ACTIVE
        marked = set(session.scalars(select(ScheduleMark.case_id)))
        assert case_id in marked
        schedule = build_worklists(session, profile, at, AGENTS)
        audit = session.scalars(select(AuditLog).where(AuditLog.action == "payments.import"))
        assert audit.one().detail["cases_paid_ids"] == [case_id]
    assert case_id not in {i.entry.case.facts.case_id for i in schedule.dialable}
    assert other_id in {i.entry.case.facts.case_id for i in schedule.dialable}
    rules = {b.rule for b in schedule.blocked if b.entry.case.facts.case_id == case_id}
    assert "company.case_status" in rules, rules


def test_payments_before_the_case_was_imported_do_not_close_it(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory
) -> None:
    bank, account, overdue = cases[0]
    with sessions() as session:
        imported = session.scalars(select(Case.imported_at).where(Case.account_no == account))
        before = imported.one().astimezone(SHANGHAI).date().replace(year=2025)
    rows = [[bank, account, overdue, before.isoformat(), "网银", ""]]
    report = _import(write_csv(tmp_path / "old.csv", HEADER, rows), sessions)
    assert report.counts.added == 1 and report.counts.cases_paid == []


def test_the_bank_comes_from_the_option_when_the_file_has_no_column(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory
) -> None:
    bank, account, _ = cases[0]
    with sessions.begin() as session:  # the same account number at a second bank
        case = session.scalars(select(Case).where(Case.account_no == account)).one()
        other = ClientBank(code="BOC", name="BOC")
        session.add(other)
        session.flush()
        session.add(
            Case(
                client_bank_id=other.id,
                account_no=account,
                debtor_id=case.debtor_id,
                amount_overdue_cents=100,
                days_past_due=30,
                # imported before the payment's day, whatever the wall clock says (after 16:00
                # UTC it is already the next day in Shanghai: the payment came before the case)
                imported_at=datetime(2026, 11, 30, tzinfo=UTC),
            )
        )
    header = ["卡号", "还款金额", "还款日期", "还款渠道"]
    path = write_csv(tmp_path / "one-bank.csv", header, [[account, "12.50", "2026.12.01", "柜面"]])
    lines = _reject(path, sessions)
    assert lines == [
        f"{path}:2:account_no: account '{account}' is at more than one bank (BOC, {bank}): "
        "give the client_bank column or --bank"
    ]
    assert _import(path, sessions, bank="BOC").counts.cases_paid  # 1.00 owed: paid in full
    with sessions() as session:
        paid = session.scalars(select(Case.status).where(Case.account_no == account)).all()
    assert sorted(paid) == sorted([CaseStatus.ACTIVE, CaseStatus.PAID])


def test_an_xlsx_with_typed_amounts_and_dates_and_blank_rows(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["委托方", "账号", "金额", "入账日期", "渠道", "流水号"])
    sheet.append([cases[0][0], int(cases[0][1]), 88.5, datetime(2026, 12, 2), "网银", None])
    sheet.append([None] * 6)
    sheet.append([cases[1][0], cases[1][1], 12, date(2026, 12, 3), "代扣", "R-2"])
    path = tmp_path / "payments.xlsx"
    book.save(path)
    report = _import(path, sessions)
    assert report.rows == 2 and report.encoding == "xlsx"
    with sessions() as session:
        got = session.execute(select(Payment.amount_cents, Payment.paid_on).order_by(Payment.id))
        assert [tuple(r) for r in got] == [(8850, date(2026, 12, 2)), (1200, date(2026, 12, 3))]


def test_a_gbk_file_reads_like_utf8(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory
) -> None:
    rows = [[cases[0][0], cases[0][1], "10", "2026-12-01", "柜面", "流水一"]]
    path = write_csv(tmp_path / "gbk.csv", HEADER, rows, encoding="gbk")
    report = _import(path, sessions)
    assert report.encoding == "gb18030" and report.counts.added == 1
    with sessions() as session:
        assert session.scalars(select(Payment.reference)).one() == "流水一"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (bytes(range(256)) * 40, "binary data"),
        (b"account_no,amount,paid_on,channel\n", "no payments"),
        (b"account_no,amount,paid_on\n1,2,2026-12-01\n", ":1:channel: missing required"),
        (b"account_no,amount,paid_on,channel,x\n", ":1:x: unknown column"),
    ],
)
def test_unreadable_and_shapeless_files_are_refused(
    content: bytes, expected: str, tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    before = snapshot(engine)
    path = tmp_path / "payments.csv"
    path.write_bytes(content)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(str(path)) and expected in lines[0], lines
    assert snapshot(engine) == before


def test_a_control_character_or_an_overlong_reference_is_named(
    cases: list[tuple[str, str, str]], tmp_path: Path, sessions: SessionFactory
) -> None:
    bank, account, _ = cases[0]
    rows = [
        [bank, account, "10", "2026-12-01", "网\x1b[2J银", ""],
        [bank, account, "10", "2026-12-01", "网银", "R" * 65],
    ]
    path = write_csv(tmp_path / "hostile.csv", HEADER, rows)
    assert sorted(_reject(path, sessions)) == [
        f"{path}:2:channel: U+001B (ESCAPE) is not allowed in a value",
        f"{path}:3:reference: longer than 64 characters (65)",
    ]


def test_the_sample_payment_file_pays_three_cases_and_closes_one(
    cases: list[tuple[str, str, str]], sessions: SessionFactory
) -> None:
    report = _import(SAMPLE_CASES.parent / "payments.csv", sessions)
    assert (report.rows, report.counts.added, len(report.counts.cases_paid)) == (3, 3, 1)
    with sessions() as session:
        closed = session.get_one(Case, report.counts.cases_paid[0])
        assert closed.account_no == "6225800880148" and closed.status is CaseStatus.PAID
