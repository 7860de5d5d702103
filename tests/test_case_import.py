"""Case import end to end on both databases: good files, re-imports, and every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select, text

from store.case_import import import_cases
from store.db import SessionFactory
from store.enums import CaseStatus, Relation
from store.errors import ImportRejected
from store.models import AuditLog, Case, CaseContact, Person, PhoneNumber
from tests.conftest import FIXTURES, SAMPLE_CASES
from tests.helpers import read_csv, snapshot, write_csv


def _count(sessions: SessionFactory, model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _reject(path: Path, sessions: SessionFactory) -> list[str]:
    lines: list[str] = []
    with pytest.raises(ImportRejected) as info:
        import_cases(path, sessions, "test", lines.append)
    assert info.value.total == len(lines)
    assert lines, "a rejected file must say why"
    return lines


def test_sample_imports_every_case_with_contacts_and_numbers(sessions: SessionFactory) -> None:
    report = import_cases(SAMPLE_CASES, sessions, "tester")
    _, rows = read_csv(SAMPLE_CASES)
    assert report.rows == len(rows) >= 50
    assert report.counts.cases_created == len(rows)
    assert _count(sessions, Case) == len(rows)
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.account_no == rows[0][1])).one()
        assert case.debtor.name == rows[0][2]
        assert case.amount_overdue_cents == round(float(rows[0][7]) * 100)
        numbers = {n.e164 for n in case.debtor.numbers}
        assert f"+86{rows[0][4]}" in numbers
        relations = {c.relation for c in case.contacts}
        assert relations <= set(Relation) - {Relation.DEBTOR} and relations
        audit = session.scalars(select(AuditLog)).one()
        assert audit.action == "cases.import" and audit.actor == "tester"
        assert audit.detail["rows"] == len(rows) and audit.detail["sha256"] == report.sha256


def test_an_import_leaves_postgresqls_planner_knowing_the_new_size(
    engine: Engine, sessions: SessionFactory
) -> None:
    import_cases(SAMPLE_CASES, sessions, "test")
    with engine.connect() as conn:
        numbers = conn.scalar(select(func.count()).select_from(PhoneNumber))
        if engine.dialect.name == "postgresql":  # without ANALYZE: -1, never measured
            estimate = conn.scalar(
                text("SELECT reltuples FROM pg_class WHERE relname = 'phone_number'")
            )
            assert estimate == numbers
        else:  # SQLite plans by its indexes: nothing to refresh, and no time spent on it
            assert not conn.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            )


@pytest.mark.parametrize("name", ["cases_gbk.csv", "cases_bom.csv"])
def test_gbk_and_bom_files_read_the_same_as_utf8(
    name: str, sessions: SessionFactory, engine: Engine
) -> None:
    import_cases(SAMPLE_CASES, sessions, "t")
    before = snapshot(engine)
    report = import_cases(FIXTURES / name, sessions, "t")
    assert report.counts.cases_created == 0 and report.counts.people_created == 0
    after = snapshot(engine)
    for table in ("collection_case", "person", "phone_number", "case_contact"):
        assert len(after[table]) == len(before[table]), table


def test_reimport_is_idempotent_and_updates_in_place(
    tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    import_cases(SAMPLE_CASES, sessions, "t")
    first = snapshot(engine)
    import_cases(SAMPLE_CASES, sessions, "t")
    second = snapshot(engine)
    for table in ("collection_case", "person", "phone_number", "case_contact", "client_bank"):
        assert len(second[table]) == len(first[table]), table

    header, rows = read_csv(SAMPLE_CASES)
    rows[0][header.index("amount_overdue")] = "99.50"
    rows[0][header.index("status")] = "deceased"
    changed = write_csv(tmp_path / "changed.csv", header, rows)
    report = import_cases(changed, sessions, "t")
    assert report.counts.cases_created == 0 and report.counts.cases_updated == len(rows)
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.account_no == rows[0][1])).one()
        assert case.amount_overdue_cents == 9950
        assert case.status == CaseStatus.DECEASED
    assert _count(sessions, Case) == len(rows)


def test_xlsx_with_numbers_typed_as_numbers(tmp_path: Path, sessions: SessionFactory) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows[:10]:
        cells: list[object] = list(row)
        cells[header.index("mobile")] = int(row[header.index("mobile")])  # Excel turns it numeric
        cells[header.index("amount_overdue")] = float(row[header.index("amount_overdue")])
        cells[header.index("days_past_due")] = int(row[header.index("days_past_due")])
        sheet.append(cells)
    path = tmp_path / "cases.xlsx"
    book.save(path)
    report = import_cases(path, sessions, "t")
    assert report.counts.cases_created == 10 and report.encoding == "xlsx"
    with sessions() as session:
        assert session.scalar(
            select(func.count()).where(PhoneNumber.e164 == f"+86{rows[0][header.index('mobile')]}")
        )


def _bad_row_file(tmp_path: Path, column: str, value: str) -> tuple[Path, int]:
    header, rows = read_csv(SAMPLE_CASES)
    rows[6][header.index(column)] = value
    return write_csv(tmp_path / f"bad_{column}.csv", header, rows), 8


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("mobile", "1234567", "not a valid phone number"),
        ("mobile", "call me", "not a phone number"),
        ("resident_id", "110101199003074515", "checksum fails: last character should be 4"),
        ("resident_id", "11010119900307451", "must be 18 characters"),
        ("resident_id", "110101199013324513", "not a valid date"),
        ("amount_overdue", "-100", "must be ≥ 0"),
        ("amount_overdue", "12.345", "more than 2 decimal places"),
        ("amount_overdue", "abc", "not a number"),
        ("days_past_due", "3.5", "whole number"),
        ("debtor_name", "", "required"),
        ("account_class", "E", "must be one of A, B, C, D"),
        ("status", "lost", "unknown status"),
        ("contact1_relation", "boss", "unknown relation"),
        ("contact1_phone", "", "required when contact 1 is given"),
    ],
)
def test_bad_field_names_file_row_column_and_changes_nothing(
    column: str, value: str, expected: str, tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    import_cases(SAMPLE_CASES, sessions, "t")
    before = snapshot(engine)
    path, row = _bad_row_file(tmp_path, column, value)
    lines = _reject(path, sessions)
    assert any(
        line.startswith(f"{path}:{row}:{column}: ") and expected in line for line in lines
    ), lines
    assert snapshot(engine) == before


def test_duplicate_account_in_file_names_both_rows(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    rows.append(list(rows[3]))
    path = write_csv(tmp_path / "dup.csv", header, rows)
    lines = _reject(path, sessions)
    assert lines == [f"{path}:{len(rows) + 1}:account_no: {rows[3][1]!r} already on row 5"]
    assert _count(sessions, Case) == 0


def test_every_problem_is_reported_not_just_the_first(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    for row in rows[:30]:
        row[header.index("mobile")] = "12"
    path = write_csv(tmp_path / "many.csv", header, rows)
    lines = _reject(path, sessions)
    assert len([line for line in lines if ":mobile: " in line]) == 30


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty file"),
        (b"   \n\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "binary data"),
        (b"\xff\xfe" + "account_no".encode("utf-16-le"), "UTF-16"),
    ],
)
def test_unreadable_files_are_rejected(
    content: bytes, expected: str, tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    before = snapshot(engine)
    path = tmp_path / "cases.csv"
    path.write_bytes(content)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and expected in lines[0], lines
    assert snapshot(engine) == before


def test_header_only(tmp_path: Path, sessions: SessionFactory) -> None:
    header, _ = read_csv(SAMPLE_CASES)
    path = write_csv(tmp_path / "h.csv", header, [])
    assert _reject(path, sessions) == [f"{path}: no cases: the file has a header but no data rows"]


def test_wrong_and_missing_columns(tmp_path: Path, sessions: SessionFactory) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    header[header.index("resident_id")] = "idcard"
    path = write_csv(tmp_path / "cols.csv", header, rows)
    lines = _reject(path, sessions)
    assert f"{path}:1:idcard: unknown column" in lines
    assert any(line.startswith(f"{path}:1:resident_id: missing required column") for line in lines)


def test_row_with_2000_columns(tmp_path: Path, sessions: SessionFactory) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    rows[2] = rows[2] + ["x"] * (2000 - len(rows[2]))
    path = write_csv(tmp_path / "wide.csv", header, rows)
    assert _reject(path, sessions) == [
        f"{path}:4: row has 2000 fields but the header has {len(header)}"
    ]


def test_binary_garbage_renamed_xlsx(tmp_path: Path, sessions: SessionFactory) -> None:
    path = tmp_path / "cases.xlsx"
    path.write_bytes(bytes(range(256)) * 100)
    assert _reject(path, sessions) == [f"{path}: not a readable .xlsx workbook"]


def test_invalid_bytes_midway_in_utf8_file(tmp_path: Path, sessions: SessionFactory) -> None:
    good = SAMPLE_CASES.read_bytes()
    path = tmp_path / "mixed.csv"
    # a UTF-8 start and, past the sniffed part (blank lines), a line of bytes that is not UTF-8
    path.write_bytes(good + b"\n" * 70_000 + b"\xff\xfe\xfa,\n")
    lines = _reject(path, sessions)
    assert any("not valid utf-8 text" in line for line in lines), lines


def test_same_resident_id_with_two_names(tmp_path: Path, sessions: SessionFactory) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    rid = header.index("resident_id")
    rows[5][rid] = rows[4][rid]
    path = write_csv(tmp_path / "rid.csv", header, rows)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}:7:resident_id: same ID as row 6")


def test_one_debtor_with_two_accounts_is_one_person(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    rows[5][header.index("resident_id")] = rows[4][header.index("resident_id")]
    rows[5][header.index("debtor_name")] = rows[4][header.index("debtor_name")]
    path = write_csv(tmp_path / "two.csv", header, rows)
    import_cases(path, sessions, "t")
    with sessions() as session:
        debtors = session.scalars(
            select(Case.debtor_id).where(Case.account_no.in_([rows[4][1], rows[5][1]]))
        ).all()
        assert len(set(debtors)) == 1
        assert session.scalar(select(func.count()).select_from(CaseContact)) > 0
        assert session.scalar(select(func.count()).select_from(Person)) > len(rows)
