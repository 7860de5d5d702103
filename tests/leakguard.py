"""A pytest plugin that fails the run when an Asterisk a test started is still running at the
end, and kills it (loaded by tests/conftest.py).

Every process the tests start inherits ``CW_TEST_RUN`` from this pytest process (the CLI
helper passes the environment on; chroot and Asterisk keep it), so a leaked one is recognised by
its environment, whatever its name, pid file or state file say, and an Asterisk that a user or
another checkout runs at the same time is left alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import uuid
from pathlib import Path

import pytest

from dialer.sandbox import default_cache
from dialer.sandbox.instances import asterisk_pids, read_owner

TAG = "CW_TEST_RUN"


def pytest_configure(config: pytest.Config) -> None:
    os.environ[TAG] = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


def leaked_asterisks(tag: str) -> dict[int, str]:
    """pid → command line of every live Asterisk whose environment carries ``tag``."""
    marker = f"{TAG}={tag}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:  # ended meanwhile
            continue
        if os.path.basename(args[0]) == b"asterisk" and marker in environ:
            found[int(entry.name)] = b" ".join(args).decode("utf-8", "replace").strip()
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    tag = os.environ.get(TAG)
    leaked = leaked_asterisks(tag) if tag else {}
    if leaked:
        _kill_and_fail(session, leaked)
    _forget_test_instances(session)


def _forget_test_instances(session: pytest.Session) -> None:
    """Remove the instance folders (config, spool, the phones' sounds) of sandboxes whose state
    file lived in this run's temporary folder: each run names its own, so they would pile up."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    base = str(factory.getbasetemp().resolve())
    instances = default_cache() / "callwarden"
    for home in instances.iterdir() if instances.is_dir() else ():
        state = str(read_owner(home).get("state", ""))
        if state.startswith(base + os.sep) and not asterisk_pids(
            str(default_cache()), f"/callwarden/{home.name}/etc/asterisk.conf"
        ):
            shutil.rmtree(home, ignore_errors=True)


def _kill_and_fail(session: pytest.Session, leaked: dict[int, str]) -> None:
    for pid in leaked:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    lines = [f"  pid {pid}: {args}" for pid, args in sorted(leaked.items())]
    message = "\n".join(["Asterisk left running by the tests (now killed):", *lines])
    if reporter is not None:
        reporter.write_sep("=", "processes left running", red=True)
        reporter.write_line(message)
    else:
        print(message)  # no terminal reporter (-p no:terminal)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
