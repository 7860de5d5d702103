"""Read and validate a lexicon file; every problem names the file, line and key."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from compliance.errors import LexiconError
from compliance.files import TomlUnreadable, key_line, locate_toml, read_toml
from compliance.lexicon.model import LexiconFile
from compliance.lexicon.trained import ClassifierModel, parse_model
from compliance.problems import at, faults, refused_at, said
from compliance.said import N_, Said

_UNKNOWN_CATEGORY = N_("未知的类别 %(category)s")


def shipped_lexicons_dir() -> Path:
    return Path(str(resources.files("config") / "lexicon"))


def load_lexicon(name_or_path: str | Path, search: tuple[Path, ...] = ()) -> LexiconFile:
    """Load a lexicon by name (from ``search``, then the shipped ones) or by path."""
    path = _locate(name_or_path, (*search, shipped_lexicons_dir()))
    return parse_lexicon(path, path.read_bytes())


def _locate(ref: str | Path, dirs: tuple[Path, ...]) -> Path:
    found = locate_toml(ref, dirs, "lexicon")
    if not isinstance(found, Path):
        raise LexiconError([found])
    return found


def parse_lexicon(path: Path, raw: bytes) -> LexiconFile:
    """Validate one file, reporting every problem at once."""
    try:
        data = read_toml(path, raw)
    except TomlUnreadable as exc:
        raise LexiconError([exc.said]) from exc
    text = raw.decode("utf-8-sig")  # read above: the lines problems are named by
    try:
        lexicon = LexiconFile.model_validate(data)
    except ValidationError as exc:
        raise LexiconError(
            [_describe(path, text, data, err) for err in faults(exc.errors())]
        ) from exc
    problems = [
        at(f"{path}:{_line_of(text, loc)}: {key}", what)
        for loc, key, what in _reference_problems(lexicon)
    ]
    if problems:
        raise LexiconError(problems)
    return lexicon.with_trained(_trained(path, lexicon.classifier))


def _trained(path: Path, name: str | None) -> ClassifierModel | None:
    """The weights the lexicon names: beside it (an admin's copy may carry its own), else the
    shipped ones."""
    if name is None:
        return None
    for folder in (path.parent, shipped_lexicons_dir()):
        candidate = folder / name
        if candidate.is_file():
            return parse_model(str(candidate), candidate.read_bytes())
    missing = said(N_("找不到 %(name)s（词库旁边和随附的词库中都没有）"), name=name)
    raise LexiconError([at(f"{path}: classifier", missing)])


def _reference_problems(lexicon: LexiconFile) -> list[tuple[tuple[Any, ...], str, Said]]:
    """(where in the data, the key as the reader finds it, what is wrong) for each rule that
    names a category the lexicon lacks, or an id used twice."""
    problems: list[tuple[tuple[Any, ...], str, Said]] = []
    seen: set[str] = set()
    for index, rule in enumerate(lexicon.rules):
        where = f"rules[{index}] ({rule.id})"
        if rule.category not in lexicon.categories:
            unknown = said(_UNKNOWN_CATEGORY, category=repr(rule.category))
            problems.append((("rules", index, "category"), f"{where}.category", unknown))
        if rule.id in seen:
            problems.append((("rules", index, "id"), f"{where}.id", said(N_("id 用了两次"))))
        seen.add(rule.id)
    for index, clear in enumerate(lexicon.clears):
        for category in clear.categories:
            if category not in lexicon.categories:
                unknown = said(_UNKNOWN_CATEGORY, category=repr(category))
                key = f"clears[{index}] ({clear.id}).categories"
                problems.append((("clears", index, "categories"), key, unknown))
    return problems


def _describe(path: Path, text: str, data: dict[str, Any], err: Any) -> Said:
    loc = tuple(err["loc"])
    parts: list[str] = []
    rest = list(loc)
    if len(loc) >= 2 and loc[0] in ("rules", "clears") and isinstance(loc[1], int):
        entries = data.get(str(loc[0]), [])
        entry = entries[loc[1]] if loc[1] < len(entries) else {}
        label = entry.get("id") if isinstance(entry, dict) else None
        parts.append(f"{loc[0]}[{loc[1]}]" + (f" ({label})" if label else ""))
        rest = rest[2:]
    parts.extend(str(p) for p in rest)
    where = f"{path}:{_line_of(text, loc)}"
    return refused_at(where, parts, err)


def _line_of(text: str, loc: tuple[Any, ...]) -> int:
    """The line where the entry at ``loc`` starts: a table header or a top-level key."""
    lines = text.splitlines()
    if len(loc) >= 2 and loc[0] in ("rules", "clears") and isinstance(loc[1], int):
        header = re.compile(rf"^\s*\[\[\s*{loc[0]}\s*\]\]")
        found = [n for n, line in enumerate(lines, start=1) if header.match(line)]
        start = found[loc[1]] if loc[1] < len(found) else 1
        return key_line(lines, start, loc[2] if len(loc) > 2 else None)
    if len(loc) >= 2 and loc[0] == "categories":
        header = re.compile(rf"^\s*\[\s*categories\.{re.escape(str(loc[1]))}\s*\]")
        found = [n for n, line in enumerate(lines, start=1) if header.match(line)]
        start = found[0] if found else 1
        return key_line(lines, start, loc[2] if len(loc) > 2 else None)
    if loc:
        return key_line(lines, 1, loc[0])
    return 1
