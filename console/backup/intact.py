"""Whether each recording's file is the one stored: the check a backup runs on what it takes,
and a restore on what it brought back. Not pure: reads every file.

Each file is read once, streaming (1 MiB at a time clear, a 64 KiB chunk at a time sealed):
a clear file is hashed against its row's sha256; a sealed one is opened with the master key
(its header must carry the row's sha256, its wrapped data key must open), every chunk's GCM
tag checked, and the plain bytes hashed. A file that is missing, cut short (to nothing
too), edited, or whose key file is gone or altered is :class:`Damaged`, named by the
recording's id and the file's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from recorder.archive import Archive, verify
from recorder.errors import ArchiveError, KeyProblem, Tampered
from recorder.keys import KeyProvider
from recorder.sealed import SealedReader

StoredRow = tuple[int, str, str]
"""A recording row as stored: id, sha256 of the plain audio, the archived file's path."""


@dataclass(frozen=True)
class Damaged:
    """One recording whose file is not as stored."""

    recording_id: int
    file: str
    """The file's name (content-addressed: ``<sha256>.cwa`` or ``.wav``)."""
    problem: str
    """``missing``; ``altered`` (any other failed check: bytes, length, its key file); or
    ``unchecked`` (sealed, and no master key here opens it: not known to be damaged)."""
    detail: str

    def line(self) -> str:
        return f"recording {self.recording_id} ({self.file}): {self.problem}: {self.detail}"

    def as_json(self) -> dict[str, object]:
        return asdict(self)

    @staticmethod
    def from_json(raw: dict[str, object]) -> Damaged:
        return Damaged(
            int(str(raw["recording_id"])),
            str(raw["file"]),
            str(raw["problem"]),
            str(raw["detail"]),
        )


def damaged_recordings(
    rows: Iterable[StoredRow], root: Path, stored_root: str, keys: KeyProvider | None
) -> tuple[int, list[Damaged]]:
    """Check every row's file under ``root`` (the archive, or a copy of it, whose files the
    rows name under ``stored_root``); how many rows, and those whose file is not as stored."""
    archive = Archive(root, keys)
    by_name: dict[str, Path] | None = None
    damaged: list[Damaged] = []
    count = 0
    for ident, sha256, stored in rows:
        count += 1
        name = Path(stored).name
        path = _under(root, stored, stored_root)
        if path is None:
            if by_name is None:  # the archive was moved: find files by their own name
                by_name = {p.name: p for p in root.rglob("*") if p.is_file()}
            path = by_name.get(name)
        if path is None:
            damaged.append(Damaged(ident, name, "missing", "the file is not in the archive"))
            continue
        try:
            check_file(archive, path, sha256)
        except KeyProblem as exc:
            problem = "altered" if isinstance(exc, Tampered) else "unchecked"
            damaged.append(Damaged(ident, name, problem, str(exc)))
        except (ArchiveError, OSError) as exc:
            damaged.append(Damaged(ident, name, "altered", str(exc)))
    return count, damaged


def check_file(archive: Archive, path: Path, sha256: str) -> None:
    """Raise :class:`ArchiveError` unless ``path`` holds, whole, the audio of ``sha256``."""
    audio = archive.open(path, sha256)
    if isinstance(audio, SealedReader) and audio.size == 0:
        audio.read_all()  # the one empty chunk's tag: a range read of nothing opens no chunk
    else:
        verify(audio, 0, audio.size - 1, sha256)  # a clear file cut to 0 bytes fails too


def _under(root: Path, stored: str, stored_root: str) -> Path | None:
    try:
        candidate = root / Path(stored).relative_to(stored_root)
    except ValueError:
        return None
    return candidate if candidate.is_file() else None


__all__ = ["Damaged", "StoredRow", "check_file", "damaged_recordings"]
