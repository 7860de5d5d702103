"""The sealed recording format: a WAV's bytes in AES-256-GCM chunks (docs/sealed-recordings.md).

A header (magic, chunk size, plain size, a random nonce prefix, the plain audio's sha256)
is followed by the plain bytes cut into fixed-size chunks, each sealed on its own with
the recording's data key: nonce = prefix ‖ chunk index, associated data = header ‖ chunk
index ‖ last-chunk flag. So any byte range is read by opening only the chunks it covers;
a chunk moved, dropped, repeated or cut off, or a header edited, fails its tag; and every
chunk vouches for the header's sha256, which the reader compares with the stored one.

File I/O on the paths and handles it is given, nothing else (no keys, no database).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recorder.errors import Tampered

MAGIC = b"CWSEAL\x00\x01"
"""Eight bytes; the last is the format version."""
CHUNK_BYTES = 64 * 1024
"""Plain bytes per chunk (the last may be shorter; an empty file is one empty chunk)."""
TAG_BYTES = 16
PREFIX_BYTES = 8
_HEADER = struct.Struct(">8sIQ8s32s")
HEADER_BYTES = _HEADER.size  # 60


@dataclass(frozen=True)
class Header:
    chunk_bytes: int
    plain_size: int
    prefix: bytes
    sha256: str
    raw: bytes

    @property
    def chunks(self) -> int:
        return max(1, -(-self.plain_size // self.chunk_bytes))

    def offset(self, index: int) -> int:
        """Where sealed chunk ``index`` starts in the file."""
        return HEADER_BYTES + index * (self.chunk_bytes + TAG_BYTES)

    @property
    def sealed_size(self) -> int:
        return self.offset(self.chunks - 1) + self.plain_of(self.chunks - 1) + TAG_BYTES

    def plain_of(self, index: int) -> int:
        return min(self.chunk_bytes, self.plain_size - index * self.chunk_bytes)


def make_header(plain_size: int, sha256: str, prefix: bytes, chunk_bytes: int) -> Header:
    raw = _HEADER.pack(MAGIC, chunk_bytes, plain_size, prefix, bytes.fromhex(sha256))
    return Header(chunk_bytes, plain_size, prefix, sha256, raw)


def parse_header(raw: bytes, name: str) -> Header:
    if len(raw) < HEADER_BYTES or not raw.startswith(MAGIC):
        raise Tampered(f"{name}: not a sealed recording (no header)")
    _, chunk_bytes, plain_size, prefix, digest = _HEADER.unpack(raw[:HEADER_BYTES])
    if chunk_bytes == 0:
        raise Tampered(f"{name}: the header's chunk size is 0")
    return Header(chunk_bytes, plain_size, prefix, digest.hex(), raw[:HEADER_BYTES])


def is_sealed(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _nonce(header: Header, index: int) -> bytes:
    return header.prefix + struct.pack(">I", index)


def _aad(header: Header, index: int) -> bytes:
    last = 1 if index == header.chunks - 1 else 0
    return header.raw + struct.pack(">IB", index, last)


def seal(
    source: BinaryIO,
    out: BinaryIO,
    data_key: bytes,
    header: Header,
) -> None:
    """Write ``source``'s ``header.plain_size`` bytes to ``out``, sealed."""
    aead = AESGCM(data_key)
    out.write(header.raw)
    for index in range(header.chunks):
        plain = source.read(header.chunk_bytes)
        out.write(aead.encrypt(_nonce(header, index), plain, _aad(header, index)))


def seal_file(source: Path, target: Path, data_key: bytes, sha256: str) -> Header:
    """Seal ``source`` into ``target`` (written beside and renamed, flushed to disk first)."""
    size = source.stat().st_size
    header = make_header(size, sha256, os.urandom(PREFIX_BYTES), CHUNK_BYTES)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with source.open("rb") as plain, partial.open("wb") as out:
            seal(plain, out, data_key, header)
            out.flush()
            os.fsync(out.fileno())
        partial.chmod(0o444)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return header


class SealedReader:
    """Plain bytes of one sealed file, by range; every chunk is checked before it is given."""

    def __init__(self, path: Path, data_key: bytes, header: Header) -> None:
        self.path = path
        self.header = header
        self._aead = AESGCM(data_key)

    @property
    def size(self) -> int:
        return self.header.plain_size

    def _chunk(self, handle: BinaryIO, index: int) -> bytes:
        header = self.header
        handle.seek(header.offset(index))
        sealed = handle.read(header.plain_of(index) + TAG_BYTES)
        try:
            return self._aead.decrypt(_nonce(header, index), sealed, _aad(header, index))
        except InvalidTag as exc:
            raise Tampered(
                f"录音文件已被改动 / {self.path.name}: chunk {index} of {header.chunks} fails "
                "its authentication (altered, moved or cut short)"
            ) from exc

    def chunks(self, first: int, last: int) -> Iterator[bytes]:
        """Plain bytes ``first``..``last`` (inclusive), a chunk's worth at a time."""
        if last < first:
            return
        step = self.header.chunk_bytes
        with self.path.open("rb") as handle:
            # Every read, not just whole ones: one seek, and a range of a file cut short or
            # grown would otherwise play from intact chunks of a file that is not as sealed.
            self._check_length(handle)
            for index in range(first // step, last // step + 1):
                plain = self._chunk(handle, index)
                start = index * step
                yield plain[max(first - start, 0) : last - start + 1]

    def _check_length(self, handle: BinaryIO) -> None:
        """A file longer or shorter than its header says is not the file sealed."""
        handle.seek(0, os.SEEK_END)
        if handle.tell() != self.header.sealed_size:
            raise Tampered(
                f"录音文件长度不符 / {self.path.name}: {handle.tell()} bytes, the header "
                f"says {self.header.sealed_size}"
            )

    def read_all(self) -> bytes:
        """The whole plain file, its sha256 checked against the header's."""
        plain = b"".join(self.chunks(0, self.size - 1)) if self.size else self._empty()
        if hashlib.sha256(plain).hexdigest() != self.header.sha256:
            raise Tampered(f"{self.path.name}: the audio's sha256 is not the sealed one")
        return plain

    def _empty(self) -> bytes:
        with self.path.open("rb") as handle:
            return self._chunk(handle, 0)
