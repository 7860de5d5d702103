"""Finding an admin's data file (a policy profile, a lexicon) by name or by path."""

from __future__ import annotations

from pathlib import Path


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
