"""The retention run: delete what has expired, a batch of cases at a time, leaving tombstones.

Each batch is one transaction: lock the cases (so a hold placed meanwhile waits or is seen),
read the facts and holds, decide (:func:`compliance.retention.decide`), delete, write the
tombstones and one audit row, commit. Only then are the recordings' files removed, and each
tombstone is marked once its file is gone. A run that dies mid-batch leaves that batch as it
was (rolled back); one that dies between the commit and the files leaves tombstones not yet
marked, and the next run removes their files first. A file is never removed while a row
that still exists points at it (two calls with the same audio on one day share one file).

A dry run goes the same road (same facts, same decision) in a read-only session and writes
nothing. I/O: the database and the recordings archive; the clock is the caller's ``now``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from compliance.errors import RetentionError
from compliance.retention import Expiry, Item, Kept, RetentionPeriods, decide
from store.audit import record_audit
from store.db import SessionFactory
from store.legal_holds import held_cases, lock_cases
from store.models import Case, ClientBank, Recording, Tombstone
from store.retention_delete import Deletion, delete_expired
from store.retention_facts import case_items, loose_recording_ids, loose_recording_items

BATCH = 200
"""Cases (or loose recordings) per transaction: a crash loses at most one batch's work."""
RemoveFile = Callable[[Path], None]
"""Removes a deleted recording's files (the archive's ``remove_archived``: store sits below
the recorder, which alone knows what files a recording has)."""


@dataclass(frozen=True)
class Gone:
    """One thing the run deleted (or, dry, would delete)."""

    expiry: Expiry
    item: Item
    tombstone_id: int | None = None


@dataclass
class RunReport:
    """What a run deleted (or would), what it kept although expired, and the files."""

    dry_run: bool
    gone: list[Gone] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    files_removed: int = 0
    files_shared: int = 0
    """Files left because another recording still points at the same content."""
    files_finished: int = 0
    """Files an earlier, interrupted run left behind, removed by this one."""

    def counts(self) -> dict[str, int]:
        return dict(Counter(g.expiry.ref.kind.value for g in self.gone))


Loader = Callable[[Session, bool], tuple[list[Item], dict[int, str]]]
"""Reads one batch's facts and holds; ``True``: lock its cases first (a run, not a dry one)."""


def _case_batches(sessions: SessionFactory) -> Iterator[Loader]:
    after = 0
    while True:
        with sessions() as session:
            ids = list(
                session.scalars(
                    select(Case.id).where(Case.id > after).order_by(Case.id).limit(BATCH)
                )
            )
        if not ids:
            break
        after = ids[-1]

        def load(
            session: Session, lock: bool, ids: list[int] = ids
        ) -> tuple[list[Item], dict[int, str]]:
            if lock:
                lock_cases(session, ids)
            return case_items(session, ids), held_cases(session, ids)

        yield load


def _loose_batches(sessions: SessionFactory) -> Iterator[Loader]:
    after = 0
    while True:
        with sessions() as session:
            ids = loose_recording_ids(session, after, BATCH)
        if not ids:
            break
        after = ids[-1]

        def load(
            session: Session, lock: bool, ids: list[int] = ids
        ) -> tuple[list[Item], dict[int, str]]:
            if lock:  # two runs at once (workers on two machines) delete each only once
                lock_recordings(session, ids)
            return loose_recording_items(session, ids), {}

        yield load


def lock_recordings(session: Session, recording_ids: list[int]) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(Recording.id)
            .where(Recording.id.in_(recording_ids))
            .order_by(Recording.id)
            .with_for_update()
        )


def run_retention(  # noqa: PLR0917 (the run's inputs)
    sessions: SessionFactory,
    reads: SessionFactory,
    periods: RetentionPeriods,
    now: datetime,
    actor: str,
    remove_file: RemoveFile,
    dry_run: bool = False,
) -> RunReport:
    """Delete what has expired at ``now`` under ``periods`` (or, ``dry_run``, only say it)."""
    _check_banks(reads, periods)
    report = RunReport(dry_run)
    if not dry_run:
        report.files_finished, _ = finish_files(sessions, now, remove_file)
    for load in (*_case_batches(reads), *_loose_batches(reads)):
        if dry_run:
            with reads() as session:
                items, held = load(session, False)
                plan = decide(now, items, held, periods)
                by_ref = {item.ref: item for item in items}
                report.gone += [Gone(e, by_ref[e.ref]) for e in plan.goes]
                report.kept += plan.kept
            continue
        with sessions.begin() as session:
            items, held = load(session, True)
            plan = decide(now, items, held, periods)
            by_ref = {item.ref: item for item in items}
            how = Deletion(actor, now, periods.source)
            tombstones = delete_expired(session, plan.goes, by_ref, how)
            report.gone += [
                Gone(e, by_ref[e.ref], t.id) for e, t in zip(plan.goes, tombstones, strict=True)
            ]
            report.kept += plan.kept
            if tombstones:
                _audit(session, actor, tombstones, periods.source)
        removed, shared = finish_files(sessions, now, remove_file)
        report.files_removed += removed
        report.files_shared += shared
    return report


def _check_banks(reads: SessionFactory, periods: RetentionPeriods) -> None:
    """Refuse periods for a bank code no client bank has: a mistyped ``[bank.CODE]`` would
    leave that bank's records to ``[default]``, maybe shorter than meant."""
    with reads() as session:
        known = sorted(session.scalars(select(ClientBank.code)))
    unknown = sorted(set(periods.banks) - set(known))
    if unknown:
        raise RetentionError(
            [
                f"{periods.source}: bank.{code}: no client bank has this code "
                f"(known: {', '.join(known)})"
                for code in unknown
            ]
        )


def _audit(session: Session, actor: str, tombstones: list[Tombstone], source: str) -> None:
    counts = Counter(t.kind.value for t in tombstones)
    record_audit(
        session,
        actor,
        "retention.delete",
        object_type="retention_tombstone",
        object_id=f"{tombstones[0].id}-{tombstones[-1].id}",
        detail={"deleted": dict(sorted(counts.items())), "periods": source},
    )


def finish_files(
    sessions: SessionFactory, now: datetime, remove_file: RemoveFile
) -> tuple[int, int]:
    """Remove the files of recordings whose deletion has committed and mark their tombstones,
    a batch per transaction (a file removed whose mark then failed to commit is simply
    removed again, as missing, next time); how many were removed, and how many kept because
    another recording shares them."""
    removed = shared_count = 0
    after = 0
    while True:
        with sessions.begin() as session:
            pending = list(
                session.execute(
                    select(Tombstone.id, Tombstone.file_path)
                    .where(
                        Tombstone.id > after,
                        Tombstone.file_path.is_not(None),
                        Tombstone.file_removed_at.is_(None),
                    )
                    .order_by(Tombstone.id)
                    .limit(BATCH)
                )
            )
            if not pending:
                return removed, shared_count
            after = pending[-1][0]
            paths = {path for _, path in pending if path is not None}
            shared = dict(
                session.execute(
                    select(Recording.path, func.min(Recording.id))
                    .where(Recording.path.in_(paths))
                    .group_by(Recording.path)
                ).all()
            )
            for _, path in pending:
                if path is not None and path not in shared:
                    remove_file(Path(path))
            ids = [tombstone_id for tombstone_id, _ in pending]
            session.execute(
                update(Tombstone).where(Tombstone.id.in_(ids)).values(file_removed_at=now)
            )
            for tombstone_id, path in pending:
                if path in shared:
                    row = session.get_one(Tombstone, tombstone_id)
                    row.detail = {**row.detail, "file_kept_for": shared[path]}
            kept = sum(path in shared for _, path in pending)
            shared_count += kept
            removed += len(pending) - kept
