"""``callwarden backup [init|check]`` and ``callwarden restore SNAPSHOT DIR``: restic backups
to every configured repository, and restores that are checked before they are trusted.

``backup init`` writes a random password file (0600) for each repository that reads its
password from a file that does not exist yet, and initialises each repository. ``backup``
takes one consistent snapshot and writes it to every repository; it exits 1 if any
repository did not take it, or if any recording's file was missing or not as stored (each
named, audit-logged as ``recording.integrity_failed``, and backed up as it is). The record
(label, each repository's snapshot id, the audit head, the time) goes to
``var/backup/records/LABEL.json`` and to the audit log.
``backup check`` reads every pack of every repository back (``restic check --read-data``).
``restore`` refuses a folder that is not empty, restores from the first repository that
can (``--repo`` to choose one), runs the checks of ``backup.verify`` and exits 1 if any
fails. ``--into-service`` then puts the checked copy back into the configured database and
archive, which must be empty (``backup.reinstate``), and checks it again there.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from console.app import App
from console.backup import (
    BackupRecord,
    Check,
    Restored,
    back_up,
    check_all,
    init_repositories,
    reinstate,
    require_apart,
    restore,
    verify_in_service,
    verify_restored,
    write_password_file,
)
from console.errors import UsageError
from console.users import default_actor
from store.audit import record_audit
from store.errors import DatabaseUnavailable
from store.types import utcnow

FAILED = 1
"""Exit status when a repository failed or a restored backup did not pass its checks."""


def add_backup_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser(
        "backup", help="back up to every restic repository (database, recordings, admin files)"
    )
    backup.add_argument("--actor", help="who runs it, for the audit log (default: login)")
    backup.set_defaults(handler=cmd_backup)
    backup_sub = backup.add_subparsers(dest="what", required=False, metavar="WHAT")
    init = backup_sub.add_parser("init", help="write missing password files, init repositories")
    init.set_defaults(handler=cmd_backup_init)
    check = backup_sub.add_parser("check", help="read back every repository's data and verify it")
    check.add_argument("--actor", help="who runs it, for the audit log (default: login)")
    check.set_defaults(handler=cmd_backup_check)

    restoring = sub.add_parser(
        "restore", help="restore a backup into an empty folder and verify it"
    )
    restoring.add_argument("snapshot", help="latest, a backup's label, or a restic snapshot id")
    restoring.add_argument("dir", type=Path, help="an empty or new folder")
    restoring.add_argument("--repo", help="restore from this repository only")
    restoring.add_argument(
        "--into-service",
        action="store_true",
        help="once every check passes, put it back: into the configured database and archive, "
        "which must be empty (after a lost disk), then check them again",
    )
    restoring.add_argument("--actor", help="who runs it, for the audit log (default: login)")
    restoring.set_defaults(handler=cmd_restore)


def cmd_backup_init(app: App, _args: argparse.Namespace, out: TextIO) -> int:
    repos = app.backup_repositories()
    for repo in repos:
        if repo.password_file is not None and not repo.password_file.exists():
            write_password_file(repo.password_file)
            print(
                f"已写入密码文件 / password for {repo.name} written to {repo.password_file} "
                "(0600): keep a copy apart from the repository",
                file=out,
            )
    for name, made in init_repositories(app.restic(), repos).items():
        state = "已初始化 / initialised" if made else "已存在 / already a repository"
        print(f"{name}: {state}", file=out)
    return 0


def cmd_backup(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    record = back_up(
        app.restic(),
        app.backup_repositories(),
        app.backup_sources(),
        app.paths.backup / "staging",
        utcnow,
    )
    written = record.write(app.paths.backup / "records")
    _audited(app, args.actor, record)
    _damage_reported(app, args.actor, record, out)
    for name, snapshot in record.snapshots.items():
        print(f"{name}: 快照 / snapshot {snapshot}", file=out)
    for name, why in record.failed.items():
        print(f"{name}: 失败 / FAILED: {why}", file=out)
    print(
        f"备份 {record.label}：{len(record.snapshots)} 个备份库，审计链头 {record.audit_head} / "
        f"backup {record.label} in {len(record.snapshots)} repositor(ies), audit head "
        f"{record.audit_head}; record {written}",
        file=out,
    )
    return 0 if record.ok and record.intact else FAILED


def _damage_reported(app: App, actor: str | None, record: BackupRecord, out: TextIO) -> None:
    """Each recording found missing or not as stored: said loudly, and a tampering row in
    the audit log (as a playback that finds one writes)."""
    if not record.damaged:
        return
    print(
        f"!!! 录音已损坏或缺失 {len(record.damaged)} 个：已照原样备份，并记入快照清单 / "
        f"{len(record.damaged)} recording(s) MISSING OR NOT AS STORED: backed up as they are "
        "and named in the snapshot's manifest",
        file=out,
    )
    with app.sessions.begin() as session:
        for found in record.damaged:
            print(
                f"!!! recording {found['recording_id']} ({found['file']}): {found['problem']}: "
                f"{found['detail']}",
                file=out,
            )
            record_audit(
                session,
                actor or default_actor(),
                "recording.integrity_failed",
                object_type="recording",
                object_id=str(found["recording_id"]),
                detail={
                    "found_by": "backup",
                    "backup": record.label,
                    "file": found["file"],
                    "problem": found["problem"],
                    "reason": str(found["detail"])[:300],
                },
            )


def _audited(app: App, actor: str | None, record: BackupRecord) -> None:
    with app.sessions.begin() as session:
        record_audit(
            session,
            actor or default_actor(),
            "backup.done" if record.ok else "backup.failed",
            object_type="backup",
            object_id=record.label,
            detail={
                "snapshots": record.snapshots,
                "failed": record.failed,
                "audit_head": record.audit_head,
                "started_at": record.started_at,
                "finished_at": record.finished_at,
                "damaged": len(record.damaged),
            },
        )


def cmd_backup_check(app: App, args: argparse.Namespace, out: TextIO) -> int:
    results = check_all(app.restic(), app.backup_repositories())
    for name, result in results.items():
        state = "完好 / ok" if result.ok else "损坏 / FAILED"
        print(f"{name}: {state}: {result.tail}", file=out)
    try:
        app.require_schema()
    except DatabaseUnavailable:
        pass  # a check must run when the database is what was lost; then it is not audited
    else:
        with app.sessions.begin() as session:
            record_audit(
                session,
                args.actor or default_actor(),
                "backup.check",
                detail={name: result.ok for name, result in results.items()},
            )
    return 0 if all(r.ok for r in results.values()) else FAILED


def cmd_restore(app: App, args: argparse.Namespace, out: TextIO) -> int:
    repos = app.backup_repositories(args.repo)
    if not repos:
        raise UsageError(f"--repo {args.repo}: no such repository in [backup]")
    target: Path = args.dir.absolute()
    require_apart(target, app.paths.recordings, app.backup_sources().admin)
    restored = restore(app.restic(), repos, args.snapshot, target)
    for name, why in restored.skipped.items():
        print(f"{name}: 跳过 / skipped: {why}", file=out)
    manifest = restored.manifest
    print(
        f"已从 {restored.repository} 恢复快照 {restored.snapshot.id[:8]}（备份 {manifest.label}）"
        f"到 {target} / restored backup {manifest.label} from {restored.repository}",
        file=out,
    )
    checks = verify_restored(target, manifest, app.settings.database_url(), app.master_keys())
    if not _reported(checks, out):
        return FAILED
    if args.into_service:
        return _into_service(app, target, restored, args.actor, out)
    return 0


def _reported(checks: list[Check], out: TextIO) -> bool:
    for check in checks:
        state = "通过 / ok" if check.ok else "失败 / FAILED"
        print(f"{check.name}: {state}: {check.detail}", file=out)
    return bool(checks) and all(c.ok for c in checks)


def _into_service(
    app: App, folder: Path, restored: Restored, actor: str | None, out: TextIO
) -> int:
    """Put the checked copy back, check it where it now serves, and say so in the audit log
    (after the checks, so the chain they verified is the backed-up one)."""
    manifest = restored.manifest
    app.engine.dispose()  # nothing of this process may hold the file being put back
    url = app.settings.database_url()
    for line in reinstate(folder, manifest, url, app.paths.recordings, app.backup_sources().admin):
        print(f"已恢复上线 / put back: {line}", file=out)
    print("在用的库再次检查 / checked again in service:", file=out)
    checks = verify_in_service(url, app.paths.recordings, manifest, app.master_keys())
    if not _reported(checks, out):
        return FAILED
    with app.sessions.begin() as session:
        record_audit(
            session,
            actor or default_actor(),
            "backup.reinstated",
            object_type="backup",
            object_id=manifest.label,
            detail={"repository": restored.repository, "snapshot": restored.snapshot.id},
        )
    return 0
