"""The parts of an .xlsx workbook, read with bounded work before any row is.

An .xlsx file is a zip of XML parts. Sizes come from the zip directory, and
:mod:`zipfile` never inflates a member past the size its directory gives (it
stops and fails the CRC check instead), so checking them first bounds what
reading can cost. XML is parsed with expat and refuses any DOCTYPE: a workbook
needs none, and entities are how XML bombs expand.
"""

from __future__ import annotations

import posixpath
import pyexpat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from openpyxl.styles.numbers import is_date_format

from store.case_import.rows import MAX_FIELD_CHARS, TableError

MIB = 1024 * 1024
MAX_MEMBERS = 10_000
MAX_MEMBER_BYTES = 512 * MIB
MAX_TOTAL_BYTES = 1024 * MIB
MAX_RATIO = 100
"""Real sheets deflate about 10:1; a member over 1 MiB that deflated past 100:1 is a bomb."""
RATIO_FLOOR = MIB
MAX_SMALL_PART_BYTES = 16 * MIB
"""Relationships, workbook and styles parts: kilobytes in real files."""
MAX_SHARED_STRINGS = 1_000_000
MAX_SHARED_STRINGS_BYTES = 64 * MIB
"""Shared strings are held in memory while the sheet is read: these bound that memory."""
CHUNK = 64 * 1024
# Number formats Excel builds in that show dates or times (Chinese, Japanese and Korean
# locales add 27-36 and 50-58).
BUILTIN_DATE_FORMATS = frozenset({*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)})

Handler = Callable[[str, dict[str, str]], None]


class TooLong(int):
    """A shared string longer than a field may be: only its length is kept."""


@dataclass
class Workbook:
    """What reading the first sheet needs."""

    archive: zipfile.ZipFile
    sheet: str
    shared: list[str | TooLong] = field(default_factory=list)
    date_styles: frozenset[int] = frozenset()
    date1904: bool = False


def local(name: str) -> str:
    """An element's name without its namespace (expat joins them with ``}``)."""
    return name.rpartition("}")[2]


def _refuse_doctype(*_args: object) -> None:
    raise TableError("refused: a DOCTYPE declaration, which a workbook never needs")


def new_parser() -> pyexpat.XMLParserType:
    parser = pyexpat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.buffer_text = True
    return parser


def feed(parser: pyexpat.XMLParserType, name: str, stream: IO[bytes]) -> bool:
    """Parse the next chunk; False at the end. Errors become :class:`TableError`."""
    try:
        chunk = stream.read(CHUNK)
        parser.Parse(chunk, not chunk)
    except pyexpat.ExpatError as exc:
        raise TableError(
            f"malformed XML in {name} (line {exc.lineno}, column {exc.offset})"
        ) from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise TableError(f"damaged zip member {name} ({exc})") from None
    return bool(chunk)


def parse_part(
    archive: zipfile.ZipFile, name: str, start: Handler, text: Callable[[str], None] | None = None
) -> None:
    parser = new_parser()
    parser.StartElementHandler = lambda tag, attrs: start(local(tag), attrs)
    if text is not None:
        parser.CharacterDataHandler = text
    with archive.open(name) as stream:
        while feed(parser, name, stream):
            pass


def check_zip(archive: zipfile.ZipFile) -> None:
    """Refuse a zip whose directory promises more work than a case file can need."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise TableError(f"refused: {len(members)} zip members, more than {MAX_MEMBERS}")
    total = 0
    for info in members:
        total += info.file_size
        if info.flag_bits & 0x1:
            raise TableError(f"refused: {info.filename} is encrypted")
        if info.file_size > MAX_MEMBER_BYTES:
            raise TableError(
                f"refused: {info.filename} unpacks to {info.file_size / MIB:,.1f} MiB, "
                f"more than {MAX_MEMBER_BYTES // MIB} MiB"
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
            raise TableError(
                f"refused: {info.filename} is compressed {ratio:.0f}:1, "
                f"more than {MAX_RATIO}:1 (a zip bomb)"
            )
    if total > MAX_TOTAL_BYTES:
        raise TableError(
            f"refused: unpacks to {total / MIB:,.1f} MiB, more than {MAX_TOTAL_BYTES // MIB} MiB"
        )


def _member(archive: zipfile.ZipFile, base: str, target: str, limit: int) -> str:
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
    path = posixpath.normpath(path)
    try:
        info = archive.getinfo(path)
    except KeyError:
        raise TableError(f"not a readable .xlsx workbook ({path} is missing)") from None
    if info.file_size > limit:
        raise TableError(
            f"refused: {path} unpacks to {info.file_size / MIB:,.1f} MiB, "
            f"more than {limit // MIB} MiB"
        )
    return path


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Id → (type, target) of a part's relationships."""
    folder, base = posixpath.split(part)
    rels = _member(archive, folder, f"_rels/{base}.rels", MAX_SMALL_PART_BYTES)
    found: dict[str, tuple[str, str]] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "Relationship" and "Id" in attrs and "Target" in attrs:
            found[attrs["Id"]] = (attrs.get("Type", ""), attrs["Target"])

    parse_part(archive, rels, start)
    return found


def open_parts(archive: zipfile.ZipFile) -> Workbook:
    """Find the first sheet, then read the shared strings and date styles it needs."""
    check_zip(archive)
    office = [t for kind, t in _relations(archive, "").values() if kind.endswith("/officeDocument")]
    if not office:
        raise TableError("not a readable .xlsx workbook (no workbook part)")
    workbook_part = _member(archive, "", office[0], MAX_SMALL_PART_BYTES)
    sheets: list[str] = []
    flags: dict[str, str] = {}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "sheet" and not sheets:  # only the first sheet is read
            sheets.extend(v for k, v in attrs.items() if local(k) == "id" and k != "id")
        elif tag == "workbookPr":
            flags.update(attrs)

    parse_part(archive, workbook_part, start)
    relations = _relations(archive, workbook_part)
    if not sheets or sheets[0] not in relations:
        raise TableError("not a readable .xlsx workbook (no first sheet)")
    folder = posixpath.dirname(workbook_part)
    book = Workbook(archive, _member(archive, folder, relations[sheets[0]][1], MAX_MEMBER_BYTES))
    book.date1904 = flags.get("date1904", "").lower() in ("1", "true")
    for kind, target in relations.values():
        if kind.endswith("/sharedStrings"):
            path = _member(archive, folder, target, MAX_SHARED_STRINGS_BYTES)
            book.shared = _shared_strings(archive, path)
        elif kind.endswith("/styles"):
            book.date_styles = _date_styles(
                archive, _member(archive, folder, target, MAX_SMALL_PART_BYTES)
            )
    return book


class _SharedStrings:
    """expat handlers collecting ``<si>`` items; text past a field's limit is only counted."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.strings: list[str | TooLong] = []
        self.parts: list[str] = []
        self.length = 0
        self.in_text = False
        self.phonetic = 0

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "sst" and _int(attrs.get("uniqueCount")) > MAX_SHARED_STRINGS:
            raise TableError(_too_many(self.name, attrs["uniqueCount"]))
        if tag == "si":
            self.parts, self.length = [], 0
        elif tag == "rPh":  # phonetic guide text is not part of the value
            self.phonetic += 1
        elif tag == "t":
            self.in_text = not self.phonetic

    def end(self, tag: str) -> None:
        if tag == "si":
            text = "".join(self.parts)
            self.strings.append(text if self.length <= MAX_FIELD_CHARS else TooLong(self.length))
            if len(self.strings) > MAX_SHARED_STRINGS:
                raise TableError(_too_many(self.name, f"more than {MAX_SHARED_STRINGS}"))
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "t":
            self.in_text = False

    def text(self, data: str) -> None:
        if self.in_text:
            self.length += len(data)
            if self.length <= MAX_FIELD_CHARS:  # a longer one is refused where a cell uses it
                self.parts.append(data)


def _shared_strings(archive: zipfile.ZipFile, name: str) -> list[str | TooLong]:
    collected = _SharedStrings(name)
    parser = new_parser()
    parser.StartElementHandler = lambda tag, attrs: collected.start(local(tag), attrs)
    parser.EndElementHandler = lambda tag: collected.end(local(tag))
    parser.CharacterDataHandler = collected.text
    with archive.open(name) as stream:
        while feed(parser, name, stream):
            pass
    return collected.strings


def _too_many(name: str, count: str) -> str:
    return f"refused: {name} holds {count} strings, more than {MAX_SHARED_STRINGS}"


def _date_styles(archive: zipfile.ZipFile, name: str) -> frozenset[int]:
    """Indexes of the cell styles that show a number as a date or time."""
    custom: dict[int, str] = {}
    formats: list[int] = []
    depth = {"cellXfs": 0}

    def start(tag: str, attrs: dict[str, str]) -> None:
        if tag == "numFmt":
            custom[_int(attrs.get("numFmtId"))] = attrs.get("formatCode", "")
        elif tag == "cellXfs":
            depth["cellXfs"] += 1
        elif tag == "xf" and depth["cellXfs"]:
            formats.append(_int(attrs.get("numFmtId")))

    parser = new_parser()
    parser.StartElementHandler = lambda tag, attrs: start(local(tag), attrs)
    parser.EndElementHandler = lambda tag: depth.update(
        cellXfs=depth["cellXfs"] - (local(tag) == "cellXfs")
    )
    with archive.open(name) as stream:
        while feed(parser, name, stream):
            pass
    return frozenset(
        index
        for index, fmt in enumerate(formats)
        if fmt in BUILTIN_DATE_FORMATS or (fmt in custom and is_date_format(custom[fmt]))
    )


def _int(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else -1
