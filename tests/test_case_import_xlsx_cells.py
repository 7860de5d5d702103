"""How .xlsx cells read: saved formula values, Excel errors, ISO dates, cells without refs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from store.case_import import import_cases
from store.db import SessionFactory
from store.errors import ImportRejected
from store.models import Campaign
from tests.conftest import SAMPLE_CASES
from tests.xlsx_files import sample_xlsx, sheet_edit

CAMPAIGN = b'<c r="L2" t="inlineStr"><is><t>2026-12-M1</t></is></c>'


def _reject(path: Path, sessions: SessionFactory) -> list[str]:
    lines: list[str] = []
    with pytest.raises(ImportRejected):
        import_cases(path, sessions, "test", lines.append)
    return lines


def test_a_formula_reads_as_the_value_excel_saved(tmp_path: Path, sessions: SessionFactory) -> None:
    cell = b'<c r="L2" t="str"><f>CONCATENATE("B-", "7")</f><v>B-7</v></c>'
    path = sheet_edit(sample_xlsx(tmp_path / "f.xlsx"), lambda x: x.replace(CAMPAIGN, cell))
    import_cases(path, sessions, "t")
    with sessions() as session:
        assert "B-7" in session.scalars(select(Campaign.code)).all()


def test_an_excel_error_in_a_cell_is_named(tmp_path: Path, sessions: SessionFactory) -> None:
    cell = b'<c r="L2" t="e"><f>VLOOKUP(A2, X!A:B, 2, 0)</f><v>#N/A</v></c>'
    path = sheet_edit(sample_xlsx(tmp_path / "e.xlsx"), lambda x: x.replace(CAMPAIGN, cell))
    assert _reject(path, sessions) == [
        f"{path}:2: cell L2 holds the Excel error #N/A; reading stopped"
    ]


def test_cells_and_rows_without_references_read_in_order(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    def strip_refs(xml: bytes) -> bytes:
        return re.sub(rb' r="[A-Z]*[0-9]+"', b"", xml)

    path = sheet_edit(sample_xlsx(tmp_path / "norefs.xlsx", rows=5), strip_refs)
    assert import_cases(path, sessions, "t").counts.cases_created == 5


def test_a_character_cut_off_at_the_end_of_a_csv_is_its_rows_error(
    tmp_path: Path, sessions: SessionFactory
) -> None:
    text = SAMPLE_CASES.read_bytes()
    path = tmp_path / "cut.csv"
    path.write_bytes(text + b"ICBC,\xe5\xbc")  # the first two of the three bytes of 张
    row = text.count(b"\n") + 1
    assert _reject(path, sessions) == [
        f"{path}:{row}: line {row}: bytes that are not valid utf-8 text "
        "(byte 6 of the line); reading stopped"
    ]
