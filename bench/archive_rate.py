"""Sealed recordings against clear ones, side by side: a whole file served (clear: read and
hashed; sealed: every chunk checked and the sha256 hashed, then decrypted again into the
response, as ``console.web.media`` does) and a 64 KiB range served (checked, then decrypted).
The plain file read, with no check at all, is the floor. Random bytes stand in for audio
(AES-GCM's cost does not depend on content).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recorder.archive import Archive, verify
from recorder.keys import LocalKeys, MasterKey

_RANGE = 64 * 1024


def _best_mib_s(size: int, work: Callable[[], None], tries: int = 5) -> float:
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return size / (1 << 20) / best


def _served(archive: Archive, path: Path, sha256: str, first: int, last: int) -> None:
    audio = archive.open(path, sha256)
    verify(audio, first, last, sha256)
    for _ in audio.chunks(first, last):
        pass


def _plain(path: Path) -> None:
    with path.open("rb") as handle:
        while handle.read(_RANGE):
            pass


def run(mib: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cw-bench-archive-") as tmp:
        root = Path(tmp)
        source = root / "call.wav"
        source.write_bytes(os.urandom(mib << 20))
        sha = hashlib.sha256(source.read_bytes()).hexdigest()
        now = datetime.now(UTC)
        clear = Archive(root / "clear")
        sealed = Archive(root / "sealed", LocalKeys(MasterKey(os.urandom(32))), encrypt=True)
        paths = {"clear": clear.store(source, sha, now), "sealed": sealed.store(source, sha, now)}
        size = mib << 20
        results: dict[str, Any] = {
            "mib": mib,
            "plain_read_mib_s": _best_mib_s(size, lambda: _plain(paths["clear"])),
        }
        for name, archive in (("clear", clear), ("sealed", sealed)):
            path = paths[name]

            def whole(a: Archive = archive, p: Path = path) -> None:
                _served(a, p, sha, 0, size - 1)

            results[f"{name}_whole_mib_s"] = _best_mib_s(size, whole)
            started, count = time.perf_counter(), 200
            for i in range(count):
                first = (i * 7919 * 4096) % (size - _RANGE)
                _served(archive, path, sha, first, first + _RANGE - 1)
            results[f"{name}_range_ms"] = (time.perf_counter() - started) / count * 1000
    return results


def report(r: dict[str, Any]) -> str:
    return (
        f"recordings archive, a {r['mib']} MiB file: whole file served "
        f"{r['sealed_whole_mib_s']:,.0f} MiB/s sealed vs {r['clear_whole_mib_s']:,.0f} MiB/s "
        f"clear (both checked; unchecked read {r['plain_read_mib_s']:,.0f} MiB/s); a 64 KiB "
        f"range {r['sealed_range_ms']:.2f} ms sealed vs {r['clear_range_ms']:.2f} ms clear "
        "(a clear file is hashed whole for every range)"
    )
