"""``callwarden serve``, ``callwarden user …`` and the demo's console, as a user starts them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.browser import _free_port
from tests.liveserver import login_form, post_login
from tests.test_cli import run


@contextmanager
def started(args: list[str], cwd: Path, env: dict[str, str], ready: str) -> Iterator[list[str]]:
    """Run a long-lived command until ``ready`` appears in its output; yields its lines so far."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "console.cli", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 120
        while not any(ready in line for line in lines):
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "".join(lines)
            lines.append(line)
            assert time.monotonic() < deadline, "".join(lines)
        yield lines
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
        if proc.stdout is not None:
            proc.stdout.close()


def _env(port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWARDEN_")}
    env["CALLWARDEN_CONSOLE_PORT"] = str(port)
    return env


def _log_in(base: str, username: str, password: str) -> httpx.Response:
    with httpx.Client(base_url=base, follow_redirects=False, timeout=10) as client:
        return _log_in_with(client, username, password)


def _log_in_with(client: httpx.Client, username: str, password: str) -> httpx.Response:
    token = login_form(client)
    reply = post_login(client, token, username, password)
    return (
        client.get(reply.headers.get("location", "/login")) if reply.status_code == 303 else reply
    )


def test_user_add_then_serve_then_log_in(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    no_password = run(["user", "add", "lin", "--role", "qa"], tmp_path)
    assert no_password.returncode == 2 and "CALLWARDEN_PASSWORD" in no_password.stderr
    password = {"CALLWARDEN_PASSWORD": "lin-secret-9"}
    added = run(["user", "add", "lin", "--role", "qa"], tmp_path, extra_env=password)
    assert added.returncode == 0, added.stderr
    again = run(["user", "add", "lin", "--role", "qa"], tmp_path, extra_env=password)
    assert again.returncode == 2 and "已存在" in again.stderr
    listed = run(["user", "list"], tmp_path)
    assert re.search(r"^lin\s+qa\s+active", listed.stdout, re.MULTILINE)
    port = _free_port()
    with started(["serve"], tmp_path, _env(port), "console on") as lines:
        assert f"http://127.0.0.1:{port}/" in "".join(lines)
        page = _log_in(f"http://127.0.0.1:{port}", "lin", "lin-secret-9")
        assert page.status_code == 200 and "质检队列" in page.text


READY = "serving with dialler"
"""Printed once the demo's console listens (and a Ctrl-C is uvicorn's: one sent in the moment
before could be lost in asyncio's start-up, and the demo would serve on)."""


@pytest.mark.asterisk  # its console dials: the demo's Asterisk, phones and Whisper are up
@pytest.mark.model
@pytest.mark.slow
def test_demo_serves_the_console_with_a_login_per_role(tmp_path: Path) -> None:
    port = _free_port()
    with started(["demo", "--no-calls"], tmp_path, _env(port), READY) as lines:
        text = "".join(lines)
    logins = dict(re.findall(r"^  (?:admin|qa|agent)\s+(\w+)\s+(\S+)$", text, re.MULTILINE))
    assert set(logins) == {"admin", "qa", "a01", "a02", "a03", "a04", "a05"}, text
    # A second run keeps the same passwords and serves again.
    with started(["demo", "--no-calls"], tmp_path, _env(port), READY) as lines:
        again = dict(re.findall(r"^  (?:admin|qa|agent)\s+(\w+)\s+(\S+)$", "".join(lines), re.M))
        assert again == logins
        base = f"http://127.0.0.1:{port}"
        assert "系统管理" in _log_in(base, "admin", logins["admin"]).text
        assert "质检队列" in _log_in(base, "qa", logins["qa"]).text
        agent = _log_in(base, "a01", logins["a01"])
        assert "A01" in agent.text and "我的工作队列" in agent.text
