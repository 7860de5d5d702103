"""Build, configure, start and stop the embedded Asterisk.

The root (Debian sid with ``asterisk`` and ``asterisk-modules``, ~340 MB) is
built once with mmdebstrap and cached outside the repository (``$XDG_CACHE_HOME/
callwarden/asterisk-root``). Each sandbox is a folder inside that root
(``/callwarden/<name>``) holding its generated configuration, spool, logs and
recordings, so several can run side by side on their own ports; names carry a hash of
the var dir they belong to (``instances.instance_name``), so checkouts never share one. The state
(ports, AMI secret, pid) is written to ``<var>/sandbox.json`` for the dialer.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from dialer.errors import DialerError
from dialer.sandbox.instances import alive, asterisk_pids, clash_message, write_owner

TEMPLATES: tuple[str, ...] = ("asterisk.conf", "modules.conf", "logger.conf", "manager.conf")
TEMPLATES += ("rtp.conf", "pjsip.conf", "extensions.conf")
_PLACEHOLDER = re.compile(r"@@([a-z_]+)@@")
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
"""Asterisks this process started, so stopping one also reaps it."""
MMDEBSTRAP = [
    "mmdebstrap",
    "--variant=apt",
    '--aptopt=Acquire::Check-Valid-Until "false"',
    "--include=asterisk,asterisk-modules",
    "sid",
]


class SandboxError(DialerError):
    """The embedded Asterisk cannot be built, started or reached (the message says why)."""


@dataclass(frozen=True)
class Sandbox:
    root: str
    """The Debian sid root on the host."""
    name: str
    ami_port: int
    ami_user: str
    ami_secret: str
    sip_port: int
    phones_port: int
    """Where the simulated phones (a SIP user agent on the host) listen."""
    agi_port: int
    """Where callwarden's FastAGI server listens."""
    rtp_start: int
    rtp_end: int
    pid: int | None = None
    role: str = "core"
    """``core``: callwarden's Asterisk; ``phones``: the simulated phone network."""

    @property
    def home_inside(self) -> str:
        """This sandbox's folder as Asterisk (inside the chroot) sees it."""
        return f"/callwarden/{self.name}"

    @property
    def home(self) -> Path:
        return Path(self.root) / "callwarden" / self.name

    @property
    def recordings(self) -> Path:
        """Where MixMonitor writes, seen from the host."""
        return self.home / "spool" / "monitor"

    @property
    def recordings_inside(self) -> str:
        return f"{self.home_inside}/spool/monitor"

    @property
    def config_inside(self) -> str:
        return f"{self.home_inside}/etc/asterisk.conf"


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "callwarden" / "asterisk-root"


def ensure_root(cache: Path) -> Path:
    """The cached root, built with mmdebstrap the first time (about a minute)."""
    if (cache / "usr" / "sbin" / "asterisk").is_file():
        return cache
    if shutil.which("mmdebstrap") is None:
        raise SandboxError("mmdebstrap is not installed: apt-get install mmdebstrap (make does)")
    partial = cache.with_name(f"{cache.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    built = subprocess.run([*MMDEBSTRAP, str(partial)], capture_output=True, text=True, check=False)
    if built.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise SandboxError(f"mmdebstrap failed:\n{built.stderr[-2000:]}")
    shutil.rmtree(cache, ignore_errors=True)
    partial.rename(cache)
    return cache


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def new_sandbox(root: Path, name: str = "main", agi_port: int | None = None) -> Sandbox:
    """A sandbox on free ports with a fresh AMI secret (not started)."""
    rtp = 20000 + (os.getpid() % 200) * 100
    return Sandbox(
        root=str(root),
        name=name,
        ami_port=free_port(),
        ami_user="callwarden",
        ami_secret=secrets.token_urlsafe(18),
        sip_port=free_port(),
        phones_port=free_port(),
        agi_port=agi_port or free_port(),
        rtp_start=rtp,
        rtp_end=rtp + 98,
    )


def write_config(sandbox: Sandbox, extra_dialplan: str = "") -> None:
    """Render config/asterisk/*.conf (with the role's overrides) into the sandbox's etc."""
    values = {
        "home": sandbox.home_inside,
        "moddir": _module_dir(Path(sandbox.root)),
        "ami_port": str(sandbox.ami_port),
        "ami_user": sandbox.ami_user,
        "ami_secret": sandbox.ami_secret,
        "sip_port": str(sandbox.sip_port),
        "phones_port": str(sandbox.phones_port),
        "agi_port": str(sandbox.agi_port),
        "rtp_start": str(sandbox.rtp_start),
        "rtp_end": str(sandbox.rtp_end),
    }
    etc = sandbox.home / "etc"
    for folder in ("etc", "lib", "spool/monitor", "run", "log", "sounds"):
        (sandbox.home / folder).mkdir(parents=True, exist_ok=True)
    templates = resources.files("config") / "asterisk"
    for name in TEMPLATES:
        source = templates / sandbox.role / name
        if sandbox.role == "core" or not source.is_file():
            source = templates / name
        text = render(source.read_text(encoding="utf-8"), values, name)
        if name == "extensions.conf":
            text += extra_dialplan
        (etc / name).write_text(text, encoding="utf-8")


def render(text: str, values: dict[str, str], name: str = "template") -> str:
    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise SandboxError(f"config/asterisk/{name}: unknown placeholder @@{key}@@")
        return values[key]

    return _PLACEHOLDER.sub(value, text)


def _module_dir(root: Path) -> str:
    found = sorted(root.glob("usr/lib/*/asterisk/modules"))
    if not found:
        raise SandboxError(f"{root}: no Asterisk modules folder (is the root complete?)")
    return "/" + str(found[0].relative_to(root))


def start(
    sandbox: Sandbox, state_file: Path, timeout: float = 30.0, extra_dialplan: str = ""
) -> Sandbox:
    """Write the config, start Asterisk under chroot, wait until it is ready; returns it with
    its pid. Refuses an instance that is already running; whatever stops the wait (a timeout,
    an error, an interrupt) also stops the process, so a failed start leaves nothing behind."""
    already = asterisk_pids(sandbox.root, sandbox.config_inside)
    if already:
        raise SandboxError(clash_message(sandbox.name, sandbox.home, already))
    write_config(sandbox, extra_dialplan)
    log = (sandbox.home / "log" / "console.log").open("ab")
    process = subprocess.Popen(
        ["chroot", sandbox.root, "asterisk", "-f", "-C", sandbox.config_inside],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    _CHILDREN[process.pid] = process
    running = Sandbox(**{**asdict(sandbox), "pid": process.pid})
    ready = False
    try:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(asdict(running), indent=1), encoding="utf-8")
        write_owner(sandbox.home, state_file, process.pid)
        _wait_until_ready(process, running, timeout, log.name)
        ready = True
    finally:
        if not ready:  # a failed start is not worth a long graceful stop
            stop(running, state_file, timeout=5.0)
    return running


def _wait_until_ready(
    process: subprocess.Popen[bytes], sandbox: Sandbox, timeout: float, log: str
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SandboxError(f"Asterisk exited with {process.returncode}: see {log}")
        if _ami_greets(sandbox.ami_port) and _fully_booted(sandbox, deadline):
            return
        time.sleep(0.2)
    raise SandboxError(
        f"Asterisk was not ready (AMI on port {sandbox.ami_port}, fully booted) in "
        f"{timeout:.0f} s: see {log}"
    )


def _fully_booted(sandbox: Sandbox, deadline: float) -> bool:
    """AMI answers before the dialplan is loaded; wait for Asterisk to say it is ready."""
    try:
        waited = subprocess.run(
            [*_remote(sandbox), "core waitfullybooted"],
            capture_output=True,
            check=False,
            timeout=max(1.0, deadline - time.monotonic()),
        )
    except subprocess.TimeoutExpired:  # still booting when the deadline came
        return False
    return waited.returncode == 0


def _remote(sandbox: Sandbox) -> list[str]:
    return ["chroot", sandbox.root, "asterisk", "-C", sandbox.config_inside, "-rx"]


def _ami_greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            return conn.recv(64).startswith(b"Asterisk Call Manager")
    except OSError:
        return False


def load_state(state_file: Path) -> Sandbox | None:
    if not state_file.is_file():
        return None
    return Sandbox(**json.loads(state_file.read_text(encoding="utf-8")))


def status(sandbox: Sandbox) -> str:
    running = bool(_our_pids(sandbox))
    answering = _ami_greets(sandbox.ami_port)
    state = "running" if running and answering else "starting" if running else "stopped"
    return f"{state}: Asterisk in {sandbox.root}, AMI 127.0.0.1:{sandbox.ami_port}"


def _our_pids(sandbox: Sandbox) -> list[int]:
    """The processes running this instance now: found by command line, so a pid recorded
    before a crash and restart (or reused since by another program) is never trusted."""
    pids = set(asterisk_pids(sandbox.root, sandbox.config_inside))
    child = _CHILDREN.get(sandbox.pid) if sandbox.pid is not None else None
    if child is not None and child.poll() is None:  # ours and unreaped: its pid is not reused
        pids.add(child.pid)
    return sorted(pids)


def stop(sandbox: Sandbox, state_file: Path | None = None, timeout: float = 15.0) -> None:
    """Ask Asterisk to stop now; kill it if it does not go (or does not answer)."""
    pids = _our_pids(sandbox)
    if pids:
        with contextlib.suppress(subprocess.TimeoutExpired):  # wedged: killed below
            subprocess.run(
                [*_remote(sandbox), "core stop now"],
                capture_output=True,
                check=False,
                timeout=timeout,
            )
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        _reap_children()
        time.sleep(0.1)
    for pid in _our_pids(sandbox):
        _kill(pid)
    _reap_children()
    if state_file is not None:
        state_file.unlink(missing_ok=True)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(pid) == pid:  # started in its own session: take anything it spawned
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while alive(pid) and time.monotonic() < deadline:
        _reap_children()
        time.sleep(0.05)


def _reap_children() -> None:
    """Collect the exit status of every Asterisk this process started that has ended."""
    for pid, child in list(_CHILDREN.items()):
        if child.poll() is not None:
            del _CHILDREN[pid]
