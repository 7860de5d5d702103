"""Master keys for the recordings archive, and the interface a key service implements.

Envelope encryption: every sealed recording has its own random 256-bit data key
(``recorder.sealed``); the data key is kept only *wrapped*, sealed with AES-256-GCM under a
master key, in a small sidecar file beside the recording. A :class:`KeyProvider` wraps and
unwraps data keys and nothing else, so a KMS can implement it later with its own
Encrypt/Decrypt calls and never hand the master key out.

The local provider (:class:`LocalKeys`) holds its master keys in memory, read from a key
file that only its owner may read (mode 0600; a looser mode is refused) or from the
environment variable :data:`MASTER_KEY_ENV`. It wraps under its *current* key and unwraps
under any key it knows (the previous ones too), so ``callwarden keys rotate`` can re-wrap
while players and workers keep reading. Not pure: reads files and the environment.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recorder.errors import KeyProblem, KeyTampered

MASTER_KEY_ENV = "CALLWARDEN_MASTER_KEY"
"""The master key in base64 (32 bytes), when no key file is configured."""
KEY_BYTES = 32
_NONCE_BYTES = 12
_WRAP_LABEL = b"callwarden data key v1\x00"


@dataclass(frozen=True)
class WrappedKey:
    """A data key sealed under the master key ``key_id``: nonce (12) ‖ ciphertext (32) ‖ tag."""

    key_id: str
    blob: bytes


class KeyProvider(Protocol):
    """Wraps and unwraps data keys; where the master key lives is its own business.

    ``context`` names what the data key protects (a recording's sha256): a wrapped key
    opens only with the context it was wrapped with, as a KMS's encryption context does.
    """

    @property
    def current_id(self) -> str:
        """The id of the master key new data keys are wrapped under."""
        ...

    def wrap(self, data_key: bytes, context: str) -> WrappedKey: ...

    def unwrap(self, wrapped: WrappedKey, context: str) -> bytes:
        """The data key; :class:`KeyProblem` when no known master key opens it."""
        ...


@dataclass(frozen=True)
class MasterKey:
    secret: bytes = field(repr=False)

    @property
    def key_id(self) -> str:
        """A public name for the key (a hash of it): what a wrapped key says it is under."""
        return hashlib.sha256(b"callwarden master key id\x00" + self.secret).hexdigest()[:16]


def _aad(key_id: str, context: str) -> bytes:
    return _WRAP_LABEL + key_id.encode() + b"\x00" + context.encode()


def wrap_with(master: MasterKey, nonce: bytes, data_key: bytes, context: str) -> WrappedKey:
    """``data_key`` sealed under ``master`` with this nonce (random in use; given for the
    format's test vector)."""
    sealed = AESGCM(master.secret).encrypt(nonce, data_key, _aad(master.key_id, context))
    return WrappedKey(master.key_id, nonce + sealed)


class LocalKeys:
    """Master keys held in this process: the current one, and previous ones for reading."""

    def __init__(self, current: MasterKey, previous: Sequence[MasterKey] = ()) -> None:
        self._current = current
        self._known = {key.key_id: key for key in (*previous, current)}

    @property
    def current_id(self) -> str:
        return self._current.key_id

    def wrap(self, data_key: bytes, context: str) -> WrappedKey:
        return wrap_with(self._current, os.urandom(_NONCE_BYTES), data_key, context)

    def unwrap(self, wrapped: WrappedKey, context: str) -> bytes:
        master = self._known.get(wrapped.key_id)
        if master is None:
            raise KeyProblem(
                f"数据密钥由主密钥 {wrapped.key_id} 封装，本机没有该主密钥 / the data key is "
                f"wrapped under master key {wrapped.key_id}, which is not configured here "
                f"(known: {', '.join(sorted(self._known))})"
            )
        nonce, sealed = wrapped.blob[:_NONCE_BYTES], wrapped.blob[_NONCE_BYTES:]
        try:
            key = AESGCM(master.secret).decrypt(nonce, sealed, _aad(wrapped.key_id, context))
        except InvalidTag as exc:
            raise KeyTampered(
                f"封装的数据密钥无法打开（被改动或不属于此录音）/ the wrapped data key does "
                f"not open under master key {wrapped.key_id} for {context[:16]}…: "
                "altered, or not this recording's"
            ) from exc
        if len(key) != KEY_BYTES:
            raise KeyTampered(f"the wrapped data key for {context[:16]}… is not {KEY_BYTES} bytes")
        return key


def parse_key(text: str, source: str) -> MasterKey:
    """A master key written as base64 of 32 bytes (what :func:`write_key_file` writes)."""
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyProblem(f"{source}: the master key is not base64") from exc
    if len(secret) != KEY_BYTES:
        raise KeyProblem(f"{source}: the master key is {len(secret)} bytes, not {KEY_BYTES}")
    return MasterKey(secret)


def read_key_file(path: Path) -> MasterKey:
    """The key in ``path``, refused unless only its owner can read or write it (0600/0400)."""
    try:
        mode = path.stat().st_mode
        if stat.S_IMODE(mode) & 0o077:
            raise KeyProblem(
                f"主密钥文件权限过宽 / {path}: mode {stat.S_IMODE(mode):04o}; a master key file "
                f"must be readable by its owner only: chmod 600 {path}"
            )
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot read the master key: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise KeyProblem(f"{path}: the master key is not base64 text") from exc
    return parse_key(text, str(path))


def create_key_file(path: Path) -> MasterKey:
    """A new random master key in a new file of mode 0600, made at once: written and flushed
    under a temporary name, then hard-linked into place, which never replaces a file. So no
    reader ever sees half a key, and of two processes making one, one wins and the other gets
    :class:`FileExistsError` (and reads the winner's)."""
    key = MasterKey(os.urandom(KEY_BYTES))
    # its own name per call: threads of one process (a console's) may race here too
    partial = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(6).hex()}.partial")
    try:
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(base64.b64encode(key.secret).decode() + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(partial, path)
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
    finally:
        partial.unlink(missing_ok=True)
    return key


def write_key_file(path: Path) -> MasterKey:
    """A new random master key in a new file of mode 0600 (an existing file is never replaced)."""
    try:
        return create_key_file(path)
    except FileExistsError as exc:
        raise KeyProblem(f"{path}: exists already; a key file is never overwritten") from exc
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot write the master key: {exc.strerror}") from exc


def load_keys(
    key_file: Path | None, previous: Sequence[Path], environ: Mapping[str, str]
) -> LocalKeys | None:
    """The configured master keys: the key file, else ``$CALLWARDEN_MASTER_KEY``; None if
    neither is set (the archive is then written and read in clear only)."""
    if key_file is not None:
        current = read_key_file(key_file)
    elif environ.get(MASTER_KEY_ENV):
        current = parse_key(environ[MASTER_KEY_ENV], f"${MASTER_KEY_ENV}")
    else:
        if previous:
            raise KeyProblem("previous master keys are configured but no current one")
        return None
    return LocalKeys(current, [read_key_file(p) for p in previous])
