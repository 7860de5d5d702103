"""Hostile case files: bombs, over-long and control-character values, broken XML and bytes.

Each is refused with a ``FILE`` or ``FILE:ROW:COLUMN`` line and nothing written, or, for a
harmless lie (a sheet's dimension tag), read for what it really holds. Memory is bounded
by what the reader holds, asserted with tracemalloc, never by timing.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from datetime import datetime
from itertools import islice
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from store.case_import import csv_reader, import_cases, xlsx_parts, xlsx_sheet
from store.case_import import rows as limits
from store.case_import.cells import FIELD_LIMITS
from store.case_import.table import RowError, open_table
from store.db import SessionFactory
from store.errors import ImportRejected
from store.models import Case
from tests.conftest import SAMPLE_CASES
from tests.helpers import read_csv, snapshot, write_csv
from tests.xlsx_files import SST_NS, rewrite, sample_xlsx, sheet_edit, with_shared_strings

MIB = 1 << 20


def _reject(path: Path, sessions: SessionFactory) -> list[str]:
    lines: list[str] = []
    with pytest.raises(ImportRejected) as info:
        import_cases(path, sessions, "test", lines.append)
    assert info.value.total == len(lines) and lines
    return lines


def _peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_dimension_claiming_the_whole_grid_is_ignored(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    far_row = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row>'
    path = sheet_edit(
        sample_xlsx(tmp_path / "dim.xlsx", rows=1),
        lambda xml: xml.replace(
            b'<dimension ref="A1:U2"', b'<dimension ref="A1:XFD1048576"'
        ).replace(b"</sheetData>", far_row + b"</sheetData>"),
    )
    table = open_table(path)
    try:
        rows = list(islice(table.rows, 100))  # the old reader padded 1,048,575 rows of 16,384
    finally:
        table.close()
    assert len(rows) == 1 and not isinstance(rows[0], RowError)
    assert rows[0][0] == 2 and len(rows[0][1]) == len(table.header) == 21
    assert import_cases(path, sessions, "t").counts.cases_created == 1


def _strings(*texts: str, count: int | None = None) -> bytes:
    items = "".join(f"<si><t>{t}</t></si>" for t in texts)
    n = len(texts) if count is None else count
    return f'<sst xmlns="{SST_NS}" count="{n}" uniqueCount="{n}">{items}</sst>'.encode()


BOMBS: dict[str, Callable[[], bytes]] = {
    # 64 MiB of one letter, 65 KiB in the zip: the old reader held all of it
    "one-huge-string": lambda: _strings("ICBC" + "a" * (64 * MIB)),
    # 3 million strings in a few KiB: the old reader built a list of them
    "millions-of-strings": lambda: _strings("ICBC", *("a" * 3_000_000)),
}


@pytest.mark.parametrize("bomb", list(BOMBS))
def test_a_shared_strings_bomb_is_refused_before_it_is_read(
    bomb: str, tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    expected = "xl/sharedStrings.xml"
    path = with_shared_strings(sample_xlsx(tmp_path / "bomb.xlsx"), BOMBS[bomb]())
    assert path.stat().st_size < 200_000
    before = snapshot(engine)
    lines: list[str] = []

    def attempt() -> None:
        with pytest.raises(ImportRejected):
            import_cases(path, sessions, "t", lines.append)

    peak = _peak_bytes(attempt)
    assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and expected in lines[0], lines
    assert peak < 16 * MIB, peak
    assert snapshot(engine) == before


def test_shared_strings_are_read_for_real(tmp_path: Path, sessions: SessionFactory) -> None:
    path = with_shared_strings(sample_xlsx(tmp_path / "sst.xlsx", rows=1), _strings("BOC"))
    import_cases(path, sessions, "t")
    with sessions() as session:
        assert session.scalars(select(Case)).one().client_bank_id


def test_an_xlsx_cell_as_long_as_a_csv_field_may_not_be(
    tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    def huge_name(cells: list[object]) -> None:
        cells[2] = "名" * 1_000_000

    path = sample_xlsx(tmp_path / "long.xlsx", edit=huge_name)
    before = snapshot(engine)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}:2:"), lines
    assert "10000 characters" in lines[0]
    assert snapshot(engine) == before


def test_a_sheet_with_broken_xml_is_a_file_error(
    tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    path = sheet_edit(
        sample_xlsx(tmp_path / "broken.xlsx"),
        lambda xml: xml.replace(b"</row><row", b"</rOw><row", 1),
    )
    before = snapshot(engine)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and "XML" in lines[0], lines
    assert snapshot(engine) == before


def test_an_xml_entity_bomb_is_refused(tmp_path: Path, sessions: SessionFactory) -> None:
    doctype = (
        b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    )
    path = sheet_edit(
        sample_xlsx(tmp_path / "ent.xlsx"),
        lambda xml: doctype + xml.replace(b"<t>ICBC-CC</t>", b"<t>&c;</t>", 1),
    )
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}: ") and "DOCTYPE" in lines[0], lines


def test_a_formula_without_a_saved_value_is_not_an_empty_cell(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    def formula_campaign(cells: list[object]) -> None:
        cells[11] = '=CONCATENATE("B", "1")'  # openpyxl saves no computed value

    path = sample_xlsx(tmp_path / "formula.xlsx", edit=formula_campaign)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}:2:") and "formula" in lines[0], lines
    assert sessions().scalar(select(func.count()).select_from(Case)) == 0


def test_a_date_typed_cell_is_no_amount(tmp_path: Path, sessions: SessionFactory) -> None:
    def date_amount(cells: list[object]) -> None:
        cells[7] = datetime(2024, 3, 1)

    path = sample_xlsx(tmp_path / "date.xlsx", edit=date_amount)
    lines = _reject(path, sessions)
    assert lines == [f"{path}:2:amount_overdue: not a number: '2024-03-01T00:00:00'"]


def _bad_row_file(tmp_path: Path, column: str, value: str) -> Path:
    header, rows = read_csv(SAMPLE_CASES)
    rows[6][header.index(column)] = value
    return write_csv(tmp_path / f"bad_{column}.csv", header, rows)


@pytest.mark.parametrize(
    ("column", "length", "limit"),
    [
        ("debtor_name", 101, 100),
        ("account_no", 65, 64),
        ("client_bank", 65, 64),
        ("campaign", 65, 64),
        ("contact1_name", 101, 100),
    ],
)
def test_a_value_longer_than_its_database_column_is_refused_by_row_and_column(
    column: str, length: int, limit: int, tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    before = snapshot(engine)
    path = _bad_row_file(tmp_path, column, "张" * length)
    lines = _reject(path, sessions)
    assert lines == [f"{path}:8:{column}: longer than {limit} characters ({length})"]
    assert snapshot(engine) == before


def test_values_exactly_as_long_as_their_columns_are_stored(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    for column, limit in (("debtor_name", 100), ("account_no", 64), ("client_bank", 64)):
        rows[6][header.index(column)] = "张" * limit
    rows[6][header.index("campaign")] = "B" * 64
    rows[6][header.index("contact1_name")] = "李" * 100
    path = write_csv(tmp_path / "max.csv", header, rows)
    assert import_cases(path, sessions, "t").rows == len(rows)
    with sessions() as session:
        assert session.scalar(select(Case.account_no).where(Case.account_no == "张" * 64))


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("张\x1b[2J三", "U+001B"),
        ("张\x07三", "U+0007"),
        ("\u202e三张", "U+202E"),
        ("张\n三", "U+000A"),
        ("张\r三", "U+000D"),
        ("张\u2028三", "U+2028"),
        ("张\ufeff三", "U+FEFF"),
        ("张\x85三", "U+0085"),
    ],
)
def test_control_and_bidi_characters_are_refused(
    value: str, code: str, tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    before = snapshot(engine)
    path = _bad_row_file(tmp_path, "debtor_name", value)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}:8:debtor_name: "), lines
    assert code in lines[0] and value not in lines[0]
    assert snapshot(engine) == before


def test_a_nul_byte_past_the_sniffed_part_names_row_and_column(
    tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    # the sample twelve times over, each copy under other account numbers
    rows = [[row[0], f"{i}{row[1]}", *row[2:]] for i in range(12) for row in rows][:700]
    rows[650][header.index("account_no")] = "62\x0025"
    path = write_csv(tmp_path / "nul.csv", header, rows)
    assert path.read_bytes().index(b"\x00") > 64 * 1024
    before = snapshot(engine)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}:652:account_no: "), lines
    assert "U+0000" in lines[0]
    assert snapshot(engine) == before


def test_an_invalid_byte_is_reported_at_its_row_and_line(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    _, rows = read_csv(SAMPLE_CASES)
    text = SAMPLE_CASES.read_bytes()
    lines_before = text.count(b"\n")
    # 30 rows whose first field holds a quoted line break: rows and lines part ways
    body = b"".join(b'"ICBC\n' + f"{i}".encode() + b'",X,' + b"\n" for i in range(30))
    # then 1,500 plain lines, one of them broken, well past the first read-ahead chunk
    plain = [b"A,B" + str(i).encode() + b",C" + b"x" * 50 + b"\n" for i in range(1500)]
    plain[1200] = b"A,\xff\xfe,C\n"  # at about 74 KiB, past the sniffed 64 KiB
    path = tmp_path / "bad_bytes.csv"
    path.write_bytes(text + body + b"".join(plain))
    bad_row = len(rows) + 1 + 30 + 1201
    bad_line = lines_before + 60 + 1201
    found = _reject(path, sessions)
    assert found[-1] == (
        f"{path}:{bad_row}: line {bad_line}: bytes that are not valid utf-8 text "
        "(byte 3 of the line); reading stopped"
    ), found[-1]


def test_a_header_of_a_million_columns_is_one_problem(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    path = write_csv(tmp_path / "wide.csv", header + ["x"] * 1_000_000, rows)
    lines = _reject(path, sessions)
    assert lines == [f"{path}:1: the header has 1000021 columns; a case file has at most 64"]


def test_a_record_without_end_is_refused_at_its_start(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    text = SAMPLE_CASES.read_bytes()
    rows = text.count(b"\n")
    # an opening quote never closed: the rest of the file is one field
    path = tmp_path / "quote.csv"
    path.write_bytes(text + b'ICBC,"' + b"x,y\n" * 20_000)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}:{rows + 1}: line {rows + 1}"), lines


def test_a_zip_bomb_beside_the_sheet_is_refused_too(
    tmp_path: Path, sessions: SessionFactory, engine: Engine
) -> None:
    path = rewrite(
        sample_xlsx(tmp_path / "nested.xlsx"),
        lambda _name, data: data,
        {"xl/embeddings/inner.zip": bytes(32 * MIB)},  # 32 MiB of zeros in 32 KiB
    )
    assert path.stat().st_size < 100_000
    before = snapshot(engine)
    lines = _reject(path, sessions)
    assert len(lines) == 1 and lines[0].startswith(f"{path}: refused: xl/embeddings/inner.zip")
    assert "zip bomb" in lines[0]
    assert snapshot(engine) == before


def test_csv_lines_ended_by_a_lone_cr_still_read(tmp_path: Path, sessions: SessionFactory) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes(SAMPLE_CASES.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    assert import_cases(path, sessions, "t").rows == len(read_csv(SAMPLE_CASES)[1])


def test_the_case_file_reference_states_the_limits_the_code_enforces() -> None:
    text = (SAMPLE_CASES.parent / "README.md").read_text(encoding="utf-8")
    chars = f"{limits.MAX_FIELD_CHARS:,}"
    assert f"| characters in one cell | {chars} | {chars} |" in text
    assert f"{limits.MAX_COLUMNS} in the header" in text
    assert f"| {csv_reader.MAX_RECORD_BYTES // MIB} MiB |" in text
    assert f"{xlsx_sheet.MAX_SHEET_ROW:,}, Excel's own" in text
    assert (
        f"{xlsx_parts.MAX_MEMBERS:,} members, "
        f"{xlsx_parts.MAX_MEMBER_BYTES // MIB} MiB unpacked per member, "
        f"{xlsx_parts.MAX_TOTAL_BYTES // MIB // 1024} GiB in all, no member over "
        f"{xlsx_parts.RATIO_FLOOR // MIB} MiB compressed more than {xlsx_parts.MAX_RATIO}:1"
    ) in text
    assert (
        f"| {xlsx_parts.MAX_SHARED_STRINGS:,}, and at most "
        f"{xlsx_parts.MAX_SHARED_STRINGS_BYTES // MIB} MiB unpacked" in text
    )
    assert f"at most {xlsx_parts.MAX_SMALL_PART_BYTES // MIB} MiB each" in text
    assert FIELD_LIMITS["account_no"] == 64 and "`account_no` and `campaign` 64 characters" in text
    assert FIELD_LIMITS["debtor_name"] == 100 and "and the contact names 100" in text


def test_problems_after_a_quoted_line_break_name_their_line_too(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    rows[0][header.index("contact1_name")] = "赵\n娜"  # row 2 spans lines 2 and 3
    rows[5][header.index("mobile")] = "123"
    path = write_csv(tmp_path / "split.csv", header, rows)
    assert _reject(path, sessions) == [
        f"{path}:2:contact1_name: U+000A (LINE FEED) is not allowed in a value",
        f"{path}:7:mobile: not a valid phone number: '123' (line 8)",
    ]


def test_only_a_regular_file_is_read(
    tmp_path: Path, engine: Engine, sessions: SessionFactory
) -> None:
    # A device (or a FIFO) never ends: /dev/urandom as .xlsx grew past 2.6 GB in 20 s, and a
    # FIFO blocks for ever. Neither is opened.
    before = snapshot(engine)
    for name in ("zero.csv", "zero.xlsx"):
        link = tmp_path / name
        link.symlink_to("/dev/zero")
        assert _reject(link, sessions) == [f"{link}: not a regular file (a device, FIFO or socket)"]
    (tmp_path / "folder.csv").mkdir()
    assert _reject(tmp_path / "folder.csv", sessions) == [
        f"{tmp_path / 'folder.csv'}: not a regular file (a folder)"
    ]
    assert snapshot(engine) == before
