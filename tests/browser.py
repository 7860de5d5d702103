"""A console served on a free port in this process, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from console.app import App
from console.listen_in import ListenIn
from console.web.server import create_app
from tests.conftest import ROOT
from tests.webclient import FakeDialer
from tests.webdata import CALL_DAY, PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Screenshots are the tests' artefacts: CI keeps var/artefacts/.
SHOTS = Path(os.environ.get("CALLWARDEN_ARTEFACTS", ROOT / "var" / "artefacts")) / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(app: App, dialer: FakeDialer, listen_in: ListenIn | None = None) -> Iterator[str]:
    """Serve the console over real HTTP until the block ends; yields its base URL."""
    port = _free_port()
    web = create_app(app, dialer, clock=lambda: CALL_DAY, listen_in=listen_in)
    # log_config=None, as `serve` does: uvicorn's own config would take its loggers away from
    # ours (and the PII mask) for the rest of the test run.
    config = uvicorn.Config(
        web, host="127.0.0.1", port=port, log_level="warning", access_log=False, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def shoot(page: Page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watch_problems(page: Page) -> list[str]:
    """What goes wrong on ``page`` from now on: script errors, and refused or missing
    resources (a refused script or style shows as a failed response; the browser's own
    favicon request is the only one allowed to miss)."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and "Failed to load resource" not in msg.text
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return problems


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for a test module (a plugin fixture: tests/conftest.py loads this module)."""
    with chromium() as found:
        yield found


def template_copy(tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated SQLite database of the test's own (the console served to a browser runs in
    this process, so SQLite is the one backend these tests use); returns its URL."""
    target = tmp_path / "callwarden.db"
    target.write_bytes(sqlite_template.read_bytes())
    return f"sqlite:///{target}"
