"""Building real and hostile .xlsx files for the import tests, small on disk."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from tests.conftest import SAMPLE_CASES
from tests.helpers import read_csv

SHARED_STRINGS_TYPE = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
SST_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def sample_xlsx(
    path: Path, rows: int = 3, edit: Callable[[list[object]], None] | None = None
) -> Path:
    """The first ``rows`` sample cases as a workbook openpyxl writes (inline strings)."""
    header, data = read_csv(SAMPLE_CASES)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for index, row in enumerate(data[:rows]):
        cells: list[object] = list(row)
        if edit is not None and index == 0:
            edit(cells)
        sheet.append(cells)
    book.save(path)
    return path


def rewrite(
    path: Path, change: Callable[[str, bytes], bytes | None], add: dict[str, bytes] | None = None
) -> Path:
    """Copy the zip through ``change(name, data)`` (None drops a member), adding ``add``."""
    with zipfile.ZipFile(path) as source:
        members = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name, data in members:
            changed = change(name, data)
            if changed is not None:
                target.writestr(name, changed)
        for name, data in (add or {}).items():
            target.writestr(name, data)
    return path


def with_shared_strings(path: Path, strings_xml: bytes) -> Path:
    """Give the workbook a shared-strings part; A2 (client bank) then reads string 0."""

    def change(name: str, data: bytes) -> bytes:
        if name == "xl/_rels/workbook.xml.rels":
            rel = (
                f'<Relationship Id="rIdS" Type="{SHARED_STRINGS_TYPE}" Target="sharedStrings.xml"/>'
            )
            return data.replace(b"</Relationships>", rel.encode() + b"</Relationships>")
        if name == "[Content_Types].xml":
            override = (
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            )
            return data.replace(b"</Types>", override.encode() + b"</Types>")
        if name == "xl/worksheets/sheet1.xml":
            start = data.index(b'<c r="A2"')
            end = data.index(b"</c>", start) + len(b"</c>")
            return data[:start] + b'<c r="A2" t="s"><v>0</v></c>' + data[end:]
        return data

    return rewrite(path, change, {"xl/sharedStrings.xml": strings_xml})


def sheet_edit(path: Path, edit: Callable[[bytes], bytes]) -> Path:
    """Change the XML of the first worksheet."""
    return rewrite(path, lambda n, d: edit(d) if n == "xl/worksheets/sheet1.xml" else d)
