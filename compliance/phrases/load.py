"""Read and validate a phrases file; every problem names the file, line and key.

A phrases file goes with the lexicon of the same name: ``config/phrases/cn-default.toml``
with ``config/lexicon/cn-default.toml``, the admins' copy (``var/phrases/``) first.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from compliance.errors import PhrasesError
from compliance.files import TomlUnreadable, key_line, locate_toml, read_toml
from compliance.phrases.choose import REQUIRED
from compliance.phrases.model import PhraseBook
from compliance.problems import Problem, at, faults, refused_at, said
from compliance.said import N_, Said

_ID_FORM = N_("情形的 id 只能用小写字母、数字和 _")
_REQUIRED = N_("缺少此情形（话术面板按案件的情况打开它）")

_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")


def shipped_phrases_dir() -> Path:
    return Path(str(resources.files("config") / "phrases"))


def load_phrases(name_or_path: str | Path, search: tuple[Path, ...] = ()) -> PhraseBook:
    """Load the phrases by name (from ``search``, then the shipped ones) or by path."""
    found = locate_toml(name_or_path, (*search, shipped_phrases_dir()), "phrases")
    if not isinstance(found, Path):
        raise PhrasesError([found])
    return parse_phrases(found, found.read_bytes())


def parse_phrases(path: Path, raw: bytes) -> PhraseBook:
    """Validate one file, reporting every problem at once as ``FILE:LINE: key: reason``."""
    try:
        data = read_toml(path, raw)
    except TomlUnreadable as exc:
        raise PhrasesError([exc.said]) from exc
    text = raw.decode("utf-8-sig")  # read above: the lines problems are named by
    situations = data.get("situations")
    ids = list(situations) if isinstance(situations, dict) else []
    problems: list[Problem] = [
        at(f"{path}:{_line_of(text, ('situations', sid))}: situations.{sid}", said(_ID_FORM))
        for sid in ids
        if not _ID.fullmatch(sid)
    ]
    problems += [
        at(f"{path}:1: situations.{sid}", said(_REQUIRED)) for sid in REQUIRED if sid not in ids
    ]
    try:
        book = PhraseBook.model_validate(data)
    except ValidationError as exc:
        problems += [_describe(path, text, err) for err in faults(exc.errors())]
        raise PhrasesError(problems) from exc
    if problems:
        raise PhrasesError(problems)
    return book


def _describe(path: Path, text: str, err: Any) -> Said:
    loc = tuple(err["loc"])
    where = f"{path}:{_line_of(text, loc)}"
    return refused_at(where, [str(part) for part in loc], err)


def _line_of(text: str, loc: tuple[Any, ...]) -> int:
    """The line of the key at ``loc``: inside its ``[situations.ID]`` table, or top level."""
    lines = text.splitlines()
    start, key = 1, loc[0] if loc else None
    if len(loc) >= 2 and loc[0] == "situations":
        header = re.compile(rf"^\s*\[\s*situations\.\"?{re.escape(str(loc[1]))}\"?\s*\]")
        start = next((n for n, line in enumerate(lines, 1) if header.match(line)), 1)
        key = loc[2] if len(loc) > 2 else None
    return key_line(lines, start, key)
