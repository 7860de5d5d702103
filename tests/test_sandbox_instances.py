"""Sandboxes of different var dirs run side by side; a genuine clash is refused with a message
that names the other instance; whatever goes wrong while starting or stopping, no Asterisk is
left running; and the run fails if a test leaves one behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dialer.sandbox import (
    SandboxError,
    default_cache,
    ensure_root,
    instance_name,
    load_state,
    new_sandbox,
    start,
    status,
    stop,
)
from dialer.sandbox import asterisk as engine
from dialer.sandbox.instances import alive, asterisk_pids
from tests.conftest import ROOT
from tests.test_cli import run

WEDGED = ["sh", "-c", "exec sleep 60", "wedged"]
"""What ``asterisk -rx`` does when Asterisk no longer answers its console."""


def test_instance_names_are_keyed_by_the_var_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = instance_name("main", Path("var"))
    assert name == instance_name("main", tmp_path / "var")  # relative or absolute: one instance
    assert re.fullmatch(r"main-[0-9a-f]{10}", name)
    assert name != instance_name("main", tmp_path / "other" / "var")
    assert instance_name("demo", Path("var")) != name


@pytest.mark.asterisk
def test_two_var_dirs_run_side_by_side_and_stop_independently(tmp_path: Path) -> None:
    """A user's ``sandbox up`` in one checkout, another in a second, and a test's own instance,
    all at once: each runs, and each stops without touching the others."""
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    test_state = tmp_path / "test" / "sandbox.json"
    test_sandbox = new_sandbox(ensure_root(default_cache()), instance_name("t", test_state.parent))
    try:
        for folder in (one, two):
            up = run(["sandbox", "up", "--agi-port", "0"], folder)
            assert up.returncode == 0, up.stderr
        ours = start(test_sandbox, test_state)
        states = [load_state(f / "var" / "sandbox.json") for f in (one, two)]
        homes = {s.home for s in states if s is not None} | {ours.home}
        assert len(homes) == 3
        assert all(run(["sandbox", "status"], f).stdout.startswith("running") for f in (one, two))
        assert status(ours).startswith("running")

        assert run(["sandbox", "down"], one).returncode == 0
        assert run(["sandbox", "status"], one).stdout.startswith("stopped")
        assert run(["sandbox", "status"], two).stdout.startswith("running")
        assert status(ours).startswith("running")
        stop(ours, test_state)
        assert status(ours).startswith("stopped")
        assert run(["sandbox", "status"], two).stdout.startswith("running")
    finally:
        stop(test_sandbox, test_state)
        for folder in (one, two):
            run(["sandbox", "down"], folder)
    assert run(["sandbox", "status"], two).stdout.startswith("stopped")


@pytest.mark.asterisk
def test_a_second_start_of_a_running_instance_names_the_first(tmp_path: Path) -> None:
    root = ensure_root(default_cache())
    name = instance_name("d", tmp_path)
    first_state, second_state = tmp_path / "first" / "sandbox.json", tmp_path / "second" / "s.json"
    first = start(new_sandbox(root, name), first_state)
    try:
        with pytest.raises(SandboxError) as refused:
            start(new_sandbox(root, name), second_state)
        message = str(refused.value)
        assert f"(pid {first.pid})" in message and f"for {first_state.parent} " in message
        assert "`callwarden sandbox down`" in message and f"`kill {first.pid}`" in message
        assert status(first).startswith("running")  # the refusal left the first alone
        assert not second_state.exists()
    finally:
        stop(first, first_state)
    assert asterisk_pids(first.root, first.config_inside) == []


@pytest.mark.asterisk
def test_sandbox_down_stops_this_var_dirs_instance_without_its_state_file(tmp_path: Path) -> None:
    state = tmp_path / "var" / "sandbox.json"
    assert run(["sandbox", "up", "--agi-port", "0"], tmp_path).returncode == 0
    running = load_state(state)
    assert running is not None and running.pid is not None
    try:
        state.unlink()  # lost: the instance still belongs to this var dir
        again = run(["sandbox", "up", "--agi-port", "0"], tmp_path)
        assert again.returncode != 0
        assert f"already running (pid {running.pid}) for {state.parent} " in again.stderr
        assert "`callwarden sandbox down`" in again.stderr
    finally:
        down = run(["sandbox", "down"], tmp_path)
    assert down.returncode == 0
    assert asterisk_pids(running.root, running.config_inside) == []


@pytest.mark.asterisk
def test_an_interrupted_start_leaves_no_asterisk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = new_sandbox(ensure_root(default_cache()), instance_name("i", tmp_path))
    answers = engine._ami_greets  # the real check: interrupt once it says yes
    greeted: list[int] = []

    def interrupted(port: int) -> bool:
        if answers(port):  # Ctrl-C just as Asterisk answers
            greeted.extend(asterisk_pids(sandbox.root, sandbox.config_inside))
            raise KeyboardInterrupt
        return False

    monkeypatch.setattr(engine, "_ami_greets", interrupted)
    with pytest.raises(KeyboardInterrupt):
        start(sandbox, tmp_path / "sandbox.json")
    assert len(greeted) == 1 and not alive(greeted[0])
    assert not (tmp_path / "sandbox.json").exists()


@pytest.mark.asterisk
def test_a_boot_that_never_completes_fails_cleanly_and_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = new_sandbox(ensure_root(default_cache()), instance_name("b", tmp_path))
    monkeypatch.setattr(engine, "_remote", lambda _: WEDGED)  # never says "fully booted"
    with pytest.raises(SandboxError, match=r"not ready .* in 8 s"):
        start(sandbox, tmp_path / "sandbox.json", timeout=8)
    assert asterisk_pids(sandbox.root, sandbox.config_inside) == []


@pytest.mark.asterisk
def test_stop_kills_an_asterisk_whose_console_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "sandbox.json"
    running = start(new_sandbox(ensure_root(default_cache()), instance_name("w", tmp_path)), state)
    try:
        with monkeypatch.context() as wedged:
            wedged.setattr(engine, "_remote", lambda _: WEDGED)
            stop(running, state, timeout=1)
        assert asterisk_pids(running.root, running.config_inside) == []
        assert not state.exists()
    finally:
        stop(running, state)


LEAKY_TEST = """
from dialer.sandbox import default_cache, ensure_root, instance_name, new_sandbox, start

def test_forgets_to_stop(tmp_path):
    sandbox = new_sandbox(ensure_root(default_cache()), instance_name("leak", tmp_path))
    start(sandbox, tmp_path / "sandbox.json")
"""


@pytest.mark.asterisk
def test_the_run_fails_when_a_test_leaves_asterisk_running(tmp_path: Path) -> None:
    (tmp_path / "test_leaky.py").write_text(LEAKY_TEST, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    plugins = ["-p", "tests.leakguard", "-p", "no:cacheprovider"]
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugins, "--rootdir", str(tmp_path), "."],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "1 passed" in inner.stdout, inner.stdout + inner.stderr
    assert inner.returncode == pytest.ExitCode.TESTS_FAILED
    assert "Asterisk left running by the tests (now killed)" in inner.stdout
    leaked = re.findall(r"pid (\d+): asterisk -f -C /callwarden/leak-[0-9a-f]+/", inner.stdout)
    assert len(leaked) == 1 and not alive(int(leaked[0]))
