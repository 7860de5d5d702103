"""Which master key the archive uses, and the one a fresh installation makes for itself.

Recordings are sealed by default (``[archive] encrypt``). The master key is, in this order:
``[archive] key_file``, else ``$CALLWARDEN_MASTER_KEY``, else the key callwarden made in
``var/master.key`` (:attr:`config.VarPaths.master_key`). When none of them exists and the
archive is to seal, :func:`provision` makes that file once, so a fresh clone, the demo, the
workers and the console seal from their first recording with no hand step.

It fails closed. A key file that is there is read and checked like a configured one: one
that cannot be read, that others may read, or that is not a key is refused, never replaced.
And no key is made for an archive that already holds sealed recordings: their key is lost
(or elsewhere), and a new one would not open them. Not pure: reads and writes files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from recorder.errors import KeyProblem
from recorder.keys import (
    MASTER_KEY_ENV,
    LocalKeys,
    MasterKey,
    create_key_file,
    load_keys,
    read_key_file,
)

_SEALED_SUFFIXES = (".cwa", ".key")


def find_keys(
    key_file: Path | None,
    previous: Sequence[Path],
    environ: Mapping[str, str],
    provisioned: Path,
) -> LocalKeys | None:
    """The master keys in force: the configured ones, else the key callwarden made at
    ``provisioned`` if it is there (checked as strictly), else None."""
    if key_file is not None or environ.get(MASTER_KEY_ENV) or not _present(provisioned):
        return load_keys(key_file, previous, environ)
    return LocalKeys(read_key_file(provisioned), [read_key_file(p) for p in previous])


def provision(path: Path, archive: Path) -> tuple[MasterKey, bool]:
    """The master key at ``path``, made now if it is not there; and whether it was made now.

    Refuses (:class:`KeyProblem`) when ``archive`` already holds a sealed recording: its
    master key is what is missing, and must be put back rather than replaced.
    """
    if _present(path):
        return read_key_file(path), False
    sealed = _first_sealed(archive)
    if sealed is not None:
        raise KeyProblem(
            f"录音库已有加密录音，但主密钥不在 / the archive holds sealed recordings "
            f"({sealed}) but no master key is configured and {path} is missing: put back the "
            f"key file they were sealed under (or set [archive] key_file or ${MASTER_KEY_ENV}); "
            "a new key would not open them, so none is made"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return create_key_file(path), True
    except FileExistsError:
        return read_key_file(path), False  # another process made it first: use theirs
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot make the master key: {exc.strerror}") from exc


def _present(path: Path) -> bool:
    """Whether anything is at ``path`` (a dangling link too: that is refused, not replaced)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise KeyProblem(f"{path}: cannot look for the master key: {exc.strerror}") from exc
    return True


def _first_sealed(archive: Path) -> Path | None:
    """A sealed recording or wrapped data key in ``archive``, if there is one (stops at the
    first: this runs once, before a key is made)."""
    for folder, _, names in os.walk(archive):
        for name in names:
            if name.endswith(_SEALED_SUFFIXES):
                return Path(folder) / name
    return None


__all__ = ["find_keys", "provision"]
