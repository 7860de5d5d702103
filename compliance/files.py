"""Finding an admin's data file (a policy profile, a lexicon, approved phrases) by name or by
path, and reading its TOML."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from compliance.problems import at, said
from compliance.said import N_, Said

FILE_KINDS = {
    "profile": N_("拨打策略"),
    "lexicon": N_("质检词库"),
    "phrases": N_("合规话术"),
    "periods": N_("保存期限"),
}
_NO_FILE = N_("找不到这个文件")
_NOT_FOUND = N_("找不到名为“%(name)s”的%(what)s（已在 %(places)s 中查找）")


class TomlUnreadable(ValueError):
    """A data file that is not UTF-8 TOML; ``said`` names the file and the line."""

    def __init__(self, said: Said) -> None:
        super().__init__(str(said))
        self.said = said


NOT_UTF8 = N_("不是 UTF-8 文本")
NOT_TOML = N_("不是有效的 TOML：%(reason)s")
_UNCLOSED_STRING = N_("字符串缺少结尾的引号")
_ENDS_INSIDE = N_("文件在一个值的中间结束了（缺少结尾的括号或引号？）")
_TOML_REASONS = (
    # the parser's English, by how it starts (tomllib's messages), in the reader's words
    ("Expected '=' after a key", N_("键后面缺少“=”")),
    ("Expected ']' at the end of a table", N_("表头缺少结尾的“]”")),
    ("Expected ']]' at the end of an array", N_("表头缺少结尾的“]]”")),
    ("Cannot declare", N_("同一个键写了两次")),
    ("Cannot overwrite a value", N_("同一个键写了两次")),
    ("Duplicate inline table key", N_("同一个键写了两次")),
    ("Cannot mutate immutable namespace", N_("这张表已经写完，不能再往里加键")),
    ("Cannot redefine namespace", N_("这张表已经写完，不能再往里加键")),
    ("Unterminated string", _UNCLOSED_STRING),
    ("Illegal character '\\n'", _UNCLOSED_STRING),  # a line ended inside a string
    ('Expected "\'"', _UNCLOSED_STRING),
    ("Illegal character", N_("这里有 TOML 不允许的字符")),
    ("Expected newline or end of document", N_("一行只能写一项：这一项后面还有多余的内容")),
    ("Unescaped '\\'", N_("字符串里的反斜杠“\\”要写成“\\\\”，或改用单引号")),
    ("Unclosed array", N_("列表缺少结尾的“]”")),
    ("Unclosed inline table", N_("内联表缺少结尾的“}”")),
    ("Invalid value", N_("这里的取值无法识别（文本要加引号）")),
    ("Invalid date or datetime", N_("日期或时间写得不对")),
    ("Invalid statement", N_("这一行无法识别")),
    ("Invalid initial character for a key", N_("键的开头字符无效")),
)
_TOML_OTHER = N_("语法错误（%(detail)s）")


def read_toml(path: Path, raw: bytes) -> dict[str, Any]:
    """``raw`` (the bytes of ``path``) as a TOML table, or :class:`TomlUnreadable` saying
    ``FILE:LINE: …``. A byte-order mark (Windows editors write one) is read past, as the
    case import does."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TomlUnreadable(at(f"{path}:1", said(NOT_UTF8))) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        line = re.search(r"line (\d+)", message)
        # a fault at the end is on the last line that holds anything
        where = line.group(1) if line else str(len(text.rstrip().splitlines()) or 1)
        reason = _toml_reason(message)
        raise TomlUnreadable(at(f"{path}:{where}", said(NOT_TOML, reason=reason))) from exc


def _toml_reason(message: str) -> Said:
    if message.startswith("Invalid value") and "(at end of document)" in message:
        return said(_ENDS_INSIDE)
    for start, msgid in _TOML_REASONS:
        if message.startswith(start):
            return said(msgid)
    return said(_TOML_OTHER, detail=message)


def locate_toml(ref: str | Path, dirs: tuple[Path, ...], what: str) -> Path | Said:
    """The file ``ref`` names, or the words saying why there is none (``what``: a word of
    :data:`FILE_KINDS`).

    A path (ending in .toml, or absolute) is taken as it is; a bare name is
    looked up as ``NAME.toml`` in ``dirs``, first match wins.
    """
    candidate = Path(ref)
    if candidate.suffix == ".toml" or candidate.is_absolute():
        return candidate if candidate.is_file() else at(str(candidate), said(_NO_FILE))
    for folder in dirs:
        path = folder / f"{ref}.toml"
        if path.is_file():
            return path
    places = tuple(str(d) for d in dirs)
    return said(_NOT_FOUND, what=Said(FILE_KINDS[what]), name=str(ref), places=places)


def key_line(lines: list[str], start: int, key: Any) -> int:
    """The line of ``key = …`` inside the TOML table starting at line ``start`` (or the
    table's own line): where a problem with that key is named."""
    if not isinstance(key, str):
        return start
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    for number in range(start, len(lines) + 1):
        line = lines[number - 1]
        if number > start and line.lstrip().startswith("["):
            break
        if pattern.match(line):
            return number
    return start
