"""Which Asterisk runs which sandbox.

Every sandbox lives in the shared cached root, and Asterisk refuses a second
process on the same folder ("Asterisk already running"). So instance names
carry a short hash of the var directory they belong to, and two checkouts (or
a user's ``sandbox up`` and ``make test``) never share one. The running
process is found in ``/proc`` by its command line and its chroot, not by a
pid file that may be stale (an Asterisk killed and started again has a new
pid), and each instance folder keeps an owner record naming who started it,
so a genuine clash is refused with a message that says how to stop the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

PROC = Path("/proc")
OWNER_FILE = "owner.json"


def instance_name(prefix: str, var_dir: Path) -> str:
    """``<prefix>-<10 hex digits of the var dir's absolute path>``: one instance per var dir."""
    digest = hashlib.sha256(str(var_dir.resolve()).encode("utf-8")).hexdigest()
    return f"{prefix}-{digest[:10]}"


def asterisk_pids(root: str, config_inside: str) -> list[int]:
    """Live Asterisks started on ``config_inside`` under the chroot ``root`` (zombies excluded:
    their command line is empty)."""
    wanted = ["asterisk", "-f", "-C", config_inside]
    real_root = os.path.realpath(root)
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")[:4]
            chroot = os.readlink(entry / "root")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if [a.decode("utf-8", "replace") for a in args] == wanted and chroot == real_root:
            found.append(int(entry.name))
    return sorted(found)


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] not in (["Z"], ["X"])


def write_owner(home: Path, state_file: Path, pid: int) -> None:
    record = {"state": str(state_file.resolve()), "pid": pid}
    (home / OWNER_FILE).write_text(json.dumps(record), encoding="utf-8")


def read_owner(home: Path) -> dict[str, object]:
    with contextlib.suppress(OSError, ValueError):
        record = json.loads((home / OWNER_FILE).read_text(encoding="utf-8"))
        if isinstance(record, dict):
            return record
    return {}


def clash_message(name: str, home: Path, pids: list[int]) -> str:
    """Who already runs instance ``name``, and how to stop it."""
    pid_list = " ".join(map(str, pids))
    state = read_owner(home).get("state")
    if not isinstance(state, str):
        return (
            f"Asterisk for sandbox {name} is already running (pid {pid_list}), started by an "
            f"unknown owner: stop it with `kill {pid_list}`"
        )
    var_dir = Path(state).parent
    return (
        f"Asterisk for sandbox {name} is already running (pid {pid_list}) for {var_dir} "
        f"(state {state}): stop it with `callwarden sandbox down` using that var dir, "
        f"or `kill {pid_list}`"
    )
