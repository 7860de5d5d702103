"""Backing up to every repository, checking them, and restoring from the first that can.
Not pure: runs restic and the database tools, writes the staging folder and the record.

A backup is one staged snapshot (``backup.snapshot``) written to every configured
repository. Each repository's snapshot carries the tags ``callwarden``,
``backup=<label>`` and ``audit-head=<ID:HASH>``, so a backup is found by its label in any
repository, and its audit head can be read without restoring it. One repository failing
does not stop the others; the backup then counts as failed. A recording that is missing or
not as stored does not stop it either: it is taken as it is, named in the manifest and the
record, and tagged ``damaged=N``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from console.backup.errors import BackupError, RestoreRefused, SnapshotNotFound
from console.backup.restic import CheckResult, Repository, Restic, Snapshot
from console.backup.snapshot import Manifest, Sources, stage

TAG = "callwarden"
HOST = "callwarden"
"""restic's host name for our snapshots: the same on every machine, so a restore elsewhere
finds them."""


@dataclass(frozen=True)
class BackupRecord:
    """What one ``callwarden backup`` did: kept as JSON under ``var/backup/records`` and in
    the audit log."""

    label: str
    started_at: str
    finished_at: str
    audit_head: str
    snapshots: dict[str, str]
    """Repository name → the snapshot's id there."""
    failed: dict[str, str] = field(default_factory=dict)
    """Repository name → why its snapshot was not written."""
    counts: dict[str, int] = field(default_factory=dict)
    damaged: list[dict[str, object]] = field(default_factory=list)
    """Recordings whose file was missing or not as stored (``backup.intact.Damaged``), taken
    as they were and named in the snapshot's manifest too."""

    @property
    def ok(self) -> bool:
        """Every repository took the snapshot."""
        return not self.failed

    @property
    def intact(self) -> bool:
        """Every recording it took was as stored."""
        return not self.damaged

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.label}.json"
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), encoding="utf-8")
        return path


def label_for(now: datetime) -> str:
    """The backup's name: its UTC time to the second, sortable (``20261201T020000Z``)."""
    return f"{now:%Y%m%dT%H%M%SZ}"


def init_repositories(restic: Restic, repos: Sequence[Repository]) -> dict[str, bool]:
    """``restic init`` each repository that is not one yet; name → whether it was made now."""
    made: dict[str, bool] = {}
    for repo in repos:
        if restic.initialised(repo):
            made[repo.name] = False
        else:
            if "://" not in repo.location and ":" not in repo.location:
                Path(repo.location).parent.mkdir(parents=True, exist_ok=True)
            restic.init(repo)
            made[repo.name] = True
    return made


def back_up(
    restic: Restic,
    repos: Sequence[Repository],
    sources: Sources,
    staging: Path,
    clock: Callable[[], datetime],
) -> BackupRecord:
    """Stage one snapshot, write it to every repository, remove the staging folder."""
    started = clock()
    label = label_for(started)
    try:
        manifest = stage(sources, staging, label, started)
        tags = [TAG, f"backup={label}", f"audit-head={manifest.audit_head}"]
        if manifest.damaged:  # seen in `restic snapshots` without restoring anything
            tags.append(f"damaged={len(manifest.damaged)}")
        snapshots: dict[str, str] = {}
        failed: dict[str, str] = {}
        for repo in repos:
            try:
                snapshots[repo.name] = restic.backup(repo, staging, tags, HOST)
            except BackupError as exc:
                failed[repo.name] = str(exc)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BackupRecord(
        label=label,
        started_at=started.isoformat(),
        finished_at=clock().isoformat(),
        audit_head=manifest.audit_head,
        snapshots=snapshots,
        failed=failed,
        counts=manifest.counts,
        damaged=[d.as_json() for d in manifest.damaged],
    )


def check_all(restic: Restic, repos: Sequence[Repository]) -> dict[str, CheckResult]:
    """``restic check --read-data`` on each repository; a repository that cannot be opened
    counts as failed."""
    results: dict[str, CheckResult] = {}
    for repo in repos:
        try:
            results[repo.name] = restic.check(repo, read_data=True)
        except BackupError as exc:
            results[repo.name] = CheckResult(False, str(exc))
    return results


def find_snapshot(restic: Restic, repo: Repository, wanted: str) -> Snapshot:
    """``latest``, a backup's label, or (the start of) a snapshot id in ``repo``."""
    found = restic.snapshots(repo, TAG)
    if wanted == "latest":
        if found:
            return found[-1]
    else:
        for snapshot in reversed(found):
            if snapshot.tag("backup") == wanted or snapshot.id.startswith(wanted):
                return snapshot
    raise SnapshotNotFound(f"{repo.name}: no snapshot {wanted!r}")


@dataclass(frozen=True)
class Restored:
    """Which repository and snapshot a restore came from, and what it skipped."""

    repository: str
    snapshot: Snapshot
    manifest: Manifest
    skipped: dict[str, str]
    """Repositories tried first that could not restore it, and why."""


def restore(restic: Restic, repos: Sequence[Repository], wanted: str, target: Path) -> Restored:
    """Restore ``wanted`` into the empty folder ``target`` from the first repository that
    has it whole; a repository that fails is skipped and ``target`` emptied again."""
    _require_empty(target)
    skipped: dict[str, str] = {}
    for repo in repos:
        try:
            snapshot = find_snapshot(restic, repo, wanted)
            restic.restore(repo, snapshot.id, target)
            return Restored(repo.name, snapshot, Manifest.read(target), skipped)
        except BackupError as exc:
            skipped[repo.name] = str(exc)
            _empty(target)
    raise BackupError(
        "没有一个备份库能恢复 / no repository could restore it: "
        + "; ".join(f"{name}: {why}" for name, why in skipped.items())
    )


def _require_empty(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise RestoreRefused(
            f"目标目录不是空的 / {target}: not an empty folder; a restore never mixes with "
            "or overwrites what is there"
        )
    target.mkdir(parents=True, exist_ok=True)


def _empty(target: Path) -> None:
    for child in target.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
