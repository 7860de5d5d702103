"""``callwarden keys encrypt-archive``: seal a clear archive in place, losing nothing if stopped.

For each clear file a recording row points at, in this order:

1. its bytes are hashed and must match the row's sha256 (a changed file is reported and left);
2. a data key is wrapped and written beside it (``<sha256>.key``), then the sealed copy
   (``<sha256>.cwa``), each flushed and renamed into place (``Archive.seal``);
3. the sealed copy is read back whole and must give the same sha256;
4. the rows are pointed at the sealed copy (one transaction);
5. only then is the clear file removed (with what a write killed earlier left beside it).

A kill between any two steps leaves the clear file and the rows pointing at it (before 4) or
the sealed copy, proven, with the rows pointing at it (after 4): a second run redoes or finishes
what was left (a sealed copy that does not read back is made again; a clear file whose rows
already point at the sealed copy is removed). Not pure: the database and the archive's files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from recorder.archive import SEALED_SUFFIX, Archive, key_path, sha256_of
from recorder.errors import ArchiveError
from store.db import SessionFactory
from store.models import Recording


@dataclass
class Sealing:
    sealed: int = 0
    """Clear files sealed (and removed) by this run."""
    finished: int = 0
    """Clear files a stopped run had sealed and pointed the rows at, removed now."""
    failed: list[str] = field(default_factory=list)
    """``<file>: <reason>`` for each file left as it was."""


Progress = Callable[[str], None]


def seal_archive(
    sessions: SessionFactory, archive: Archive, progress: Progress | None = None
) -> Sealing:
    """Seal every clear file recording rows point at; safe to stop and run again."""
    done = Sealing()
    with sessions() as session:
        clear = session.execute(
            select(Recording.path, Recording.sha256)
            .where(Recording.path.not_like(f"%{SEALED_SUFFIX}"))
            .distinct()
            .order_by(Recording.path)
        ).all()
        sealed = session.scalars(
            select(Recording.path).where(Recording.path.like(f"%{SEALED_SUFFIX}")).distinct()
        ).all()
    for stored, sha256 in clear:
        try:
            _seal_one(sessions, archive, stored, sha256)
        except (ArchiveError, OSError) as exc:
            done.failed.append(f"{stored}: {exc}")
            continue
        done.sealed += 1
        if progress:
            progress(stored)
    pointed = {p for p, _ in clear}
    for stored in sealed:
        left = Path(stored).with_suffix(".wav")
        if str(left) not in pointed and left.is_file():
            _remove_clear(left)
            done.finished += 1
    return done


def _seal_one(sessions: SessionFactory, archive: Archive, stored: str, sha256: str) -> None:
    clear = Path(stored)
    target = clear.with_suffix(SEALED_SUFFIX)
    if not clear.is_file():
        raise ArchiveError("the clear file is missing; nothing to seal")
    found = sha256_of(clear)
    if found != sha256:
        raise ArchiveError(
            f"not sealed: its sha256 is {found[:16]}…, the row's {sha256[:16]}… (changed?)"
        )
    if not _reads_back(archive, target, sha256):
        archive.seal(clear, target, sha256)
        if not _reads_back(archive, target, sha256):
            raise ArchiveError("the sealed copy does not read back; the clear file is kept")
    _point_rows_at(sessions, stored, str(target))
    _remove_clear(clear)


def _reads_back(archive: Archive, target: Path, sha256: str) -> bool:
    if not (target.is_file() and key_path(target).is_file()):
        return False
    try:
        archive.read_all(target, sha256)
    except ArchiveError:
        return False
    return True


def _point_rows_at(sessions: SessionFactory, clear: str, sealed: str) -> None:
    with sessions.begin() as session:
        session.execute(update(Recording).where(Recording.path == clear).values(path=sealed))


def _remove_clear(clear: Path) -> None:
    clear.unlink(missing_ok=True)
    # A run killed inside a write left its `.<name>.<pid>.partial`; the file is sealed now.
    for written in (clear.with_suffix(SEALED_SUFFIX), key_path(clear.with_suffix(SEALED_SUFFIX))):
        for partial in clear.parent.glob(f".{written.name}.*.partial"):
            partial.unlink(missing_ok=True)
