"""Backups at archive scale (issue 21, item 6): N recordings backed up to two restic
repositories, backed up again with nothing changed (the nightly case), and restored; the
repositories' size on disk. The baseline, run in the same process on the same files, is a
plain copy of the archive (``shutil.copytree``): the ratios say what restic's chunking,
encryption, the second repository and the consistent database copy cost on top.

The recording check every backup runs (each file against its row's sha256) is timed apart, on
clear files: the bench's database holds no rows for it to find. Random bytes stand in for
audio: restic's compression finds nothing in them, so the repository sizes are an upper
bound (8 kHz PCM compresses a little). Hashing every restored
file is timed apart: it is what the restore's recording check reads.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from console.backup import (
    Repository,
    Restic,
    Sources,
    back_up,
    init_repositories,
    restore,
    write_password_file,
)
from console.backup.intact import StoredRow, damaged_recordings
from store.db import make_engine
from store.migrate import upgrade

_DIRS = 100
"""Recordings spread over this many day folders, as an archive's YYYY/MM/DD layout does."""


def _archive(root: Path, count: int, kib: int) -> tuple[int, list[StoredRow]]:
    """The files, and the rows a database would hold for them (what the check reads)."""
    total = 0
    rows: list[StoredRow] = []
    for i in range(count):
        data = os.urandom(kib << 10)
        sha = hashlib.sha256(data).hexdigest()
        folder = root / "2026" / f"{1 + i % _DIRS // 28:02d}" / f"{1 + i % 28:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{sha}.wav").write_bytes(data)
        rows.append((i + 1, sha, str(folder / f"{sha}.wav")))
        total += len(data)
    return total, rows


def _timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _hash_all(folder: Path) -> None:
    for path in folder.rglob("*.wav"):
        hashlib.sha256(path.read_bytes()).hexdigest()


def run(recordings: int, kib: int, restic_program: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cw-bench-backup-") as tmp:
        root = Path(tmp)
        engine = make_engine(f"sqlite:///{root / 'callwarden.db'}")
        upgrade(engine)
        engine.dispose()
        size, rows = _archive(root / "recordings", recordings, kib)
        plain = _timed(lambda: shutil.copytree(root / "recordings", root / "copy"))
        shutil.rmtree(root / "copy")
        restic = Restic(restic_program, root / "cache", os.environ)
        repos = []
        for name in ("a", "b"):
            write_password_file(root / f"{name}.password")
            repos.append(Repository(name, str(root / name), root / f"{name}.password"))
        init_repositories(restic, repos)
        sources = Sources(f"sqlite:///{root / 'callwarden.db'}", root / "recordings", {}, {})

        def backup() -> None:
            record = back_up(restic, repos, sources, root / "staging", lambda: datetime.now(UTC))
            assert record.ok, record.failed

        # the check every backup runs on the recordings it takes (here the bench's database
        # has no rows, so it is timed on its own, on the files as staged: clear ones, hashed)
        check = _timed(
            lambda: damaged_recordings(rows, root / "recordings", str(root / "recordings"), None)
        )
        first = _timed(backup)
        again = _timed(backup)
        restored = _timed(lambda: restore(restic, repos[:1], "latest", root / "restored"))
        hashing = _timed(lambda: _hash_all(root / "restored" / "recordings"))
        return {
            "recordings": recordings,
            "mib": size / (1 << 20),
            "plain_copy_s": plain,
            "backup_s": first,
            "backup_again_s": again,
            "restore_s": restored,
            "hash_restored_s": hashing,
            "check_s": check,
            "repository_mib": {r.name: _size(Path(r.location)) / (1 << 20) for r in repos},
        }


def report(r: dict[str, Any]) -> str:
    copy = r["plain_copy_s"]
    sizes = ", ".join(f"{name} {mib:,.0f} MiB" for name, mib in r["repository_mib"].items())
    return (
        f"backups, {r['recordings']:,} recordings ({r['mib']:,.0f} MiB): first backup to two "
        f"repositories {r['backup_s']:.1f} s ({r['backup_s'] / copy:.1f}x a plain copy, "
        f"{copy:.1f} s), again with nothing changed {r['backup_again_s']:.1f} s "
        f"({r['backup_again_s'] / copy:.2f}x); restore from one {r['restore_s']:.1f} s "
        f"({r['restore_s'] / copy:.1f}x), hashing what came back {r['hash_restored_s']:.1f} s; "
        f"repositories {sizes}; the backup's recording check {r.get('check_s', 0.0):.1f} s "
        f"({r.get('check_s', 0.0) / max(r['mib'] / 1024, 1e-9):.1f} s/GiB, clear)"
    )
