"""``callwarden keys rotate``: re-wrap every data key under the current master key.

Only the small ``<sha256>.key`` files are rewritten, each replaced at once (``write_wrapped``);
the sealed audio is not read or touched. A rotation stopped midway leaves some keys under the
old master key and some under the new one, which is why the old key stays configured
(``[archive] previous_key_files``) until a run reports nothing left to re-wrap. Not pure:
reads and writes the archive's key files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from recorder.archive import KEY_SUFFIX, read_wrapped, write_wrapped
from recorder.errors import KeyProblem
from recorder.keys import KeyProvider


@dataclass
class Rotation:
    rewrapped: int = 0
    already: int = 0
    """Keys under the current master key before this run."""
    failed: list[str] = field(default_factory=list)
    """``<file>: <reason>`` for each key no configured master key opens."""


def rotate(root: Path, keys: KeyProvider) -> Rotation:
    """Re-wrap, under ``keys.current_id``, each data key in the archive under another key."""
    done = Rotation()
    for key_file in sorted(root.rglob(f"*{KEY_SUFFIX}")):
        sha256 = key_file.stem
        try:
            wrapped = read_wrapped(key_file)
            if wrapped.key_id == keys.current_id:
                done.already += 1
                _remove_partials(key_file)
                continue
            data_key = keys.unwrap(wrapped, sha256)
        except KeyProblem as exc:
            done.failed.append(f"{key_file}: {exc}")
            continue
        write_wrapped(key_file, keys.wrap(data_key, sha256))
        done.rewrapped += 1
        _remove_partials(key_file)
    return done


def _remove_partials(key_file: Path) -> None:
    # A rotation (or seal) killed inside write_wrapped left its `.<name>.<pid>.partial`: a copy
    # of the data key, wrapped, that nothing else would ever remove.
    for partial in key_file.parent.glob(f".{key_file.name}.*.partial"):
        partial.unlink(missing_ok=True)
