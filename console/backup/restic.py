"""restic, the program, behind a small interface: one repository's init, backup, snapshots,
check and restore. Not pure: runs ``restic`` as a child process and waits for it.

Passwords reach restic through its environment (``RESTIC_PASSWORD_FILE`` or
``RESTIC_PASSWORD``), never on its command line, where other users could read them. A
password file must be readable by its owner only, as restic's own documentation advises.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from console.backup.errors import PasswordProblem, ResticFailed, ResticMissing

_TAIL = 6
"""restic's last lines of output kept in an error or a report."""


@dataclass(frozen=True)
class Repository:
    """Where a repository is (restic's repository string) and how its password is had."""

    name: str
    location: str
    password_file: Path | None = None
    password_env: str = ""

    def environment(self, environ: Mapping[str, str]) -> dict[str, str]:
        """The variables that give restic this repository's password."""
        if self.password_env:
            value = environ.get(self.password_env)
            if not value:
                raise PasswordProblem(
                    f"备份库 {self.name} 没有密码 / repository {self.name}: "
                    f"${self.password_env} is not set"
                )
            return {"RESTIC_PASSWORD": value}
        assert self.password_file is not None
        try:
            mode = stat.S_IMODE(self.password_file.stat().st_mode)
        except FileNotFoundError as exc:
            raise PasswordProblem(
                f"备份库 {self.name} 的密码文件不存在 / repository {self.name}: "
                f"{self.password_file} is missing: run `callwarden backup init`"
            ) from exc
        if mode & 0o077:
            raise PasswordProblem(
                f"密码文件权限过宽 / {self.password_file}: mode {mode:04o}; it must be "
                f"readable by its owner only: chmod 600 {self.password_file}"
            )
        return {"RESTIC_PASSWORD_FILE": str(self.password_file)}


def write_password_file(path: Path) -> None:
    """A new random password in a new file of mode 0600 (an existing one is never replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(handle, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(32) + "\n")


@dataclass(frozen=True)
class Snapshot:
    """One snapshot as ``restic snapshots --json`` lists it."""

    id: str
    time: datetime
    tags: tuple[str, ...]

    def tag(self, key: str) -> str | None:
        """The value of a ``key=value`` tag, if the snapshot has one."""
        prefix = f"{key}="
        return next((t[len(prefix) :] for t in self.tags if t.startswith(prefix)), None)


@dataclass(frozen=True)
class CheckResult:
    """What ``restic check`` said about one repository."""

    ok: bool
    tail: str
    """Its last lines: the errors it found, or that it found none."""


@dataclass(frozen=True)
class Restic:
    """The restic program, with the cache folder it may use."""

    program: Path
    cache_dir: Path
    environ: Mapping[str, str]

    def version(self) -> str:
        return self._run(None, ["version"]).stdout.strip()

    def initialised(self, repo: Repository) -> bool:
        """Whether ``repo`` already holds a restic repository (its config opens)."""
        done = self._run(repo, ["cat", "config"], check=False)
        return done.returncode == 0

    def init(self, repo: Repository) -> None:
        self._run(repo, ["init"])

    def backup(self, repo: Repository, folder: Path, tags: Sequence[str], host: str) -> str:
        """Back up ``folder``'s contents (stored at the snapshot's root); the snapshot's id."""
        args = ["backup", "--json", "--host", host, *_tag_args(tags), "."]
        done = self._run(repo, args, cwd=folder)
        for line in reversed(done.stdout.splitlines()):
            message = json.loads(line)
            if message.get("message_type") == "summary":
                return str(message["snapshot_id"])
        raise ResticFailed(f"{repo.name}: restic backup printed no summary")

    def snapshots(self, repo: Repository, tag: str) -> list[Snapshot]:
        """Every snapshot carrying ``tag``, oldest first."""
        done = self._run(repo, ["snapshots", "--json", "--tag", tag])
        found = [
            Snapshot(
                id=entry["id"],
                time=datetime.fromisoformat(_trim_nanoseconds(entry["time"])),
                tags=tuple(entry.get("tags") or ()),
            )
            for entry in json.loads(done.stdout or "[]")
        ]
        return sorted(found, key=lambda s: s.time)

    def check(self, repo: Repository, read_data: bool = True) -> CheckResult:
        """``restic check`` (``--read-data``: every pack read back and its hash compared)."""
        args = ["check", *(["--read-data"] if read_data else [])]
        done = self._run(repo, args, check=False)
        return CheckResult(done.returncode == 0, _tail(done.stdout + done.stderr))

    def restore(self, repo: Repository, snapshot_id: str, target: Path) -> None:
        """Restore a snapshot into ``target``, restic verifying what it wrote."""
        self._run(repo, ["restore", snapshot_id, "--target", str(target), "--verify"])

    def _run(
        self,
        repo: Repository | None,
        args: list[str],
        cwd: Path | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in self.environ.items() if not k.startswith("RESTIC_")}
        command = [str(self.program), "--cache-dir", str(self.cache_dir), "--quiet"]
        if repo is not None:
            env |= repo.environment(self.environ)
            command += ["--repo", repo.location]
        try:
            done = subprocess.run(
                [*command, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
            )
        except OSError as exc:
            raise ResticMissing(
                f"找不到 restic / cannot run {self.program} ({exc.strerror}): "
                "run scripts/ensure-restic.sh, or set [backup] restic"
            ) from exc
        if check and done.returncode != 0:
            where = f"{repo.name}: " if repo is not None else ""
            raise ResticFailed(
                f"{where}restic {args[0]} failed (exit {done.returncode}): {_tail(done.stderr)}"
            )
        return done


def _tag_args(tags: Sequence[str]) -> list[str]:
    # one --tag per tag: restic splits a --tag value at commas (tags are ANDed that way)
    return [part for tag in tags for part in ("--tag", tag)]


def _tail(text: str) -> str:
    return " | ".join(line.strip() for line in text.strip().splitlines()[-_TAIL:])


def _trim_nanoseconds(stamp: str) -> str:
    """restic writes nanoseconds; Python reads at most microseconds."""
    head, dot, rest = stamp.partition(".")
    if not dot:
        return stamp
    digits = "".join(c for c in rest if c.isdigit())
    zone = rest[len(digits) :]
    return f"{head}.{digits[:6]}{zone.replace('Z', '+00:00')}"
