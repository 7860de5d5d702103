"""``callwarden keys new|rotate|encrypt-archive``: the recordings archive's master keys.

``new PATH`` writes a random master key (mode 0600). ``rotate`` re-wraps every data key under
the configured ``[archive] key_file``, opening them with it or with ``previous_key_files``;
the sealed audio is not touched. ``encrypt-archive`` seals the recordings archived in clear,
in place (``recorder.seal_archive``): stop it at any point and run it again. Both write an
audit row with what they did; both exit 1 when a file was left (each is named).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from console.app import App
from console.users import default_actor
from recorder.errors import KeyProblem
from recorder.keys import write_key_file
from recorder.rotate import rotate
from recorder.seal_archive import seal_archive
from store.audit import record_audit

LEFT = 1
"""Exit status when some file was left as it was (named in the output)."""


def add_keys_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    keys = sub.add_parser("keys", help="master keys of the encrypted recordings archive")
    keys_sub = keys.add_subparsers(dest="what", required=True, metavar="WHAT")
    new = keys_sub.add_parser("new", help="write a new random master key file (mode 0600)")
    new.add_argument("path", type=Path)
    new.set_defaults(handler=cmd_keys_new)
    rotating = keys_sub.add_parser(
        "rotate", help="re-wrap every data key under [archive] key_file (audio untouched)"
    )
    rotating.add_argument("--actor", help="who rotates, for the audit log (default: login)")
    rotating.set_defaults(handler=cmd_keys_rotate)
    sealing = keys_sub.add_parser(
        "encrypt-archive", help="seal recordings archived in clear, in place (resumable)"
    )
    sealing.add_argument("--actor", help="who runs it, for the audit log (default: login)")
    sealing.set_defaults(handler=cmd_keys_encrypt_archive)


def cmd_keys_new(_app: App, args: argparse.Namespace, out: TextIO) -> int:
    key = write_key_file(args.path)
    print(
        f"主密钥已写入 / master key {key.key_id} written to {args.path} (mode 0600); keep a "
        "copy apart from the backups: without it no sealed recording can be read",
        file=out,
    )
    return 0


def _audited(app: App, actor: str | None, action: str, detail: dict[str, object]) -> None:
    with app.sessions.begin() as session:
        record_audit(session, actor or default_actor(), action, detail=detail)


def cmd_keys_rotate(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    keys = app.master_keys()
    if keys is None:
        raise KeyProblem("no master key configured ([archive] key_file or $CALLWARDEN_MASTER_KEY)")
    done = rotate(app.paths.recordings, keys)
    _audited(
        app,
        args.actor,
        "keys.rotate",
        {"key_id": keys.current_id, "rewrapped": done.rewrapped, "failed": len(done.failed)},
    )
    for line in done.failed:
        print(f"未能重新封装 / left: {line}", file=out)
    print(
        f"已重新封装 {done.rewrapped} 个数据密钥，{done.already} 个原已在主密钥 {keys.current_id} "
        f"下 / re-wrapped {done.rewrapped} data key(s) under {keys.current_id}; "
        f"{done.already} were already; {len(done.failed)} left",
        file=out,
    )
    return LEFT if done.failed else 0


def cmd_keys_encrypt_archive(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    if not app.settings.archive.encrypt:
        raise KeyProblem(
            "先开启 [archive] encrypt / turn on [archive] encrypt first, so that new "
            "recordings are sealed too"
        )

    def sealed(path: str) -> None:
        print(f"sealed {path}", file=out, flush=True)

    done = seal_archive(app.sessions, app.archive, sealed)
    _audited(
        app,
        args.actor,
        "keys.encrypt_archive",
        {"sealed": done.sealed, "finished": done.finished, "failed": len(done.failed)},
    )
    for line in done.failed:
        print(f"未加密 / left: {line}", file=out)
    print(
        f"已加密 {done.sealed} 个录音文件 / sealed {done.sealed} clear file(s), finished "
        f"{done.finished} left by a stopped run; {len(done.failed)} left",
        file=out,
    )
    return LEFT if done.failed else 0
