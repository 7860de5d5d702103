"""The recordings archive: files stored, and given back only as they were stored.

Content-addressed under a dated tree: ``<root>/YYYY/MM/DD/ab/<sha256>.wav`` in clear, or,
when the archive encrypts, ``<sha256>.cwa`` (``recorder.sealed``) with its wrapped data
key beside it in ``<sha256>.key`` (``recorder.keys``). Every read checks what it gives
against the recording's stored sha256: a whole read hashes the audio; a range of a sealed
file is checked chunk by chunk against a header that carries the sha256. Whatever fails
raises :class:`Tampered` before any byte of the range is handed out. Plain audio of a
sealed file exists only in memory. Not pure: reads and writes files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from recorder.errors import ArchiveError, KeyProblem, KeyTampered, Tampered
from recorder.keys import KEY_BYTES, KeyProvider, WrappedKey
from recorder.sealed import HEADER_BYTES, MAGIC, SealedReader, parse_header, seal_file

SEALED_SUFFIX = ".cwa"
KEY_SUFFIX = ".key"
_READ = 1 << 20


class ArchivedAudio(Protocol):
    """One archived recording's plain bytes, by range."""

    @property
    def size(self) -> int: ...

    def chunks(self, first: int, last: int) -> Iterator[bytes]:
        """Plain bytes ``first``..``last`` inclusive; may raise :class:`Tampered` midway."""
        ...


@dataclass(frozen=True)
class ClearAudio:
    """A file archived before the archive encrypted (or with encryption off)."""

    path: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def chunks(self, first: int, last: int) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            handle.seek(first)
            left = last - first + 1
            while left > 0 and (chunk := handle.read(min(_READ, left))):
                left -= len(chunk)
                yield chunk


def key_path(sealed: Path) -> Path:
    return sealed.with_suffix(KEY_SUFFIX)


def read_wrapped(path: Path) -> WrappedKey:
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        return WrappedKey(str(entry["key_id"]), base64.b64decode(entry["wrapped"]))
    except FileNotFoundError as exc:
        raise KeyTampered(f"{path.name}: the recording's wrapped data key is missing") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise KeyTampered(f"{path.name}: not a wrapped data key ({exc})") from exc


def write_wrapped(path: Path, wrapped: WrappedKey) -> None:
    """Replace ``path`` with ``wrapped`` at once, flushed to disk first (a crash leaves the
    old key or the new one, never half of one)."""
    text = json.dumps(
        {"format": 1, "key_id": wrapped.key_id, "wrapped": base64.b64encode(wrapped.blob).decode()}
    )
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8") as out:
            out.write(text + "\n")
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
        _sync_dir(path.parent)
    finally:
        partial.unlink(missing_ok=True)


def remove_archived(path: Path) -> None:
    """Remove an archived recording for good: the file, for a sealed one its wrapped data key
    beside it, and any copy a killed write left (``.<name>.<pid>.partial``), which holds
    some of the audio too. Left behind, they would outlive the audio's deletion."""
    path.unlink(missing_ok=True)
    if path.suffix == SEALED_SUFFIX:
        key_path(path).unlink(missing_ok=True)
    for partial in path.parent.glob(f".{path.name}.*.partial"):
        partial.unlink(missing_ok=True)


def _sync_dir(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_READ):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Archive:
    """Where recordings are kept, and whether (and under which keys) they are sealed."""

    root: Path
    keys: KeyProvider | None = None
    encrypt: bool = False

    def __post_init__(self) -> None:
        if self.encrypt and self.keys is None:
            raise KeyProblem(
                "录音加密已开启但没有主密钥 / [archive] encrypt is on but no master key is "
                "configured: set [archive] key_file or $CALLWARDEN_MASTER_KEY, or turn "
                "[archive] encrypt off"
            )

    def target(self, sha256: str, when: datetime) -> Path:
        suffix = SEALED_SUFFIX if self.encrypt else ".wav"
        return self.root / f"{when:%Y/%m/%d}" / sha256[:2] / f"{sha256}{suffix}"

    def store(self, source: Path, sha256: str, when: datetime) -> Path:
        """Archive ``source`` (whose sha256 is given) and return where it lies."""
        target = self.target(sha256, when)
        target.parent.mkdir(parents=True, exist_ok=True)
        if self.encrypt:
            if not (target.is_file() and key_path(target).is_file()):
                self.seal(source, target, sha256)
        else:
            _copy_read_only(source, target)
        return target

    def seal(self, source: Path, target: Path, sha256: str) -> None:
        """A new data key, wrapped and written beside ``target`` first, then the sealed file."""
        assert self.keys is not None
        data_key = os.urandom(KEY_BYTES)
        write_wrapped(key_path(target), self.keys.wrap(data_key, sha256))
        seal_file(source, target, data_key, sha256)
        _sync_dir(target.parent)

    def open(self, path: Path, sha256: str) -> ArchivedAudio:
        """The audio of ``path``, stored with ``sha256``; sealed or clear, by its first bytes."""
        with path.open("rb") as handle:
            head = handle.read(HEADER_BYTES)
        if not head.startswith(MAGIC):
            return ClearAudio(path)
        header = parse_header(head, path.name)
        if header.sha256 != sha256:
            raise Tampered(
                f"录音文件不是登记的那一份 / {path.name}: sealed with sha256 "
                f"{header.sha256[:16]}…, stored as {sha256[:16]}…"
            )
        if self.keys is None:
            raise KeyProblem(
                f"录音已加密但没有主密钥 / {path.name} is encrypted and no master key is here "
                "([archive] key_file, $CALLWARDEN_MASTER_KEY, or the one callwarden made in "
                "var/master.key): put back the key it was sealed under"
            )
        data_key = self.keys.unwrap(read_wrapped(key_path(path)), sha256)
        return SealedReader(path, data_key, header)

    def read_all(self, path: Path, sha256: str) -> bytes:
        """The whole plain file, its sha256 checked against the stored one."""
        audio = self.open(path, sha256)
        if isinstance(audio, SealedReader):
            plain = audio.read_all()
        else:
            plain = b"".join(audio.chunks(0, audio.size - 1))
        found = hashlib.sha256(plain).hexdigest()
        if found != sha256:
            raise Tampered(
                f"录音与登记的 sha256 不符 / {path.name}: sha256 {found[:16]}…, "
                f"stored {sha256[:16]}…"
            )
        return plain


def verify(audio: ArchivedAudio, first: int, last: int, sha256: str) -> None:
    """Check ``first``..``last`` before any of it is sent, so a response is refused whole.

    A sealed range is read through (each chunk's tag vouches for the header's sha256, which
    :meth:`Archive.open` compared with the stored one); the whole sealed file, and a clear
    file whatever the range (nothing else vouches for it), are hashed against ``sha256``.
    """
    whole = first == 0 and last == audio.size - 1
    if isinstance(audio, ClearAudio) or whole:
        first, last = 0, audio.size - 1
    digest = hashlib.sha256()
    for chunk in audio.chunks(first, last):
        digest.update(chunk)
    if (isinstance(audio, ClearAudio) or whole) and digest.hexdigest() != sha256:
        raise Tampered(
            f"录音与登记的 sha256 不符 / the audio's sha256 is {digest.hexdigest()[:16]}…, "
            f"stored {sha256[:16]}…"
        )


def _copy_read_only(source: Path, target: Path) -> None:
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return  # content-addressed: same name, same bytes
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        partial.chmod(0o444)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


__all__ = [
    "KEY_SUFFIX",
    "SEALED_SUFFIX",
    "Archive",
    "ArchiveError",
    "ArchivedAudio",
    "ClearAudio",
    "key_path",
    "read_wrapped",
    "sha256_of",
    "verify",
    "write_wrapped",
]
