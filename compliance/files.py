"""Finding an admin's data file (a policy profile, a lexicon, approved phrases) by name or by
path, and reading its TOML."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any


class TomlUnreadable(ValueError):
    """A data file that is not UTF-8 TOML; the message names the file and the line."""


def read_toml(path: Path, raw: bytes) -> dict[str, Any]:
    """``raw`` (the bytes of ``path``) as a TOML table, or :class:`TomlUnreadable` saying
    ``FILE:LINE: …``. A byte-order mark (Windows editors write one) is read past, as the
    case import does."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TomlUnreadable(f"{path}:1: not UTF-8 text") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = line.group(1) if line else "1"
        raise TomlUnreadable(f"{path}:{where}: not valid TOML: {exc}") from exc


def locate_toml(ref: str | Path, dirs: tuple[Path, ...], what: str) -> Path | str:
    """The file ``ref`` names, or the message saying why there is none.

    A path (ending in .toml, or absolute) is taken as it is; a bare name is
    looked up as ``NAME.toml`` in ``dirs``, first match wins.
    """
    candidate = Path(ref)
    if candidate.suffix == ".toml" or candidate.is_absolute():
        return candidate if candidate.is_file() else f"{candidate}: {what} file not found"
    for folder in dirs:
        path = folder / f"{ref}.toml"
        if path.is_file():
            return path
    return f"{what} {ref!r} not found in {', '.join(str(d) for d in dirs)}"


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
