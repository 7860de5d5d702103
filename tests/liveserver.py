"""The console served by a real uvicorn on loopback, in a thread, for concurrent HTTP tests."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx
from fastapi import FastAPI

from console.app import App
from console.web.server import create_app
from console.web.uvicorn_server import console_server
from tests.webclient import FakeDialer
from tests.webdata import CALL_DAY, PASSWORD

LOGIN_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@contextmanager
def live_console(app: App, at: datetime = CALL_DAY) -> Iterator[str]:
    """Serve the console on 127.0.0.1 (a free port) until the block ends; yields its base URL."""
    with serve(create_app(app, FakeDialer(app), clock=lambda: at)) as base:
        yield base


@contextmanager
def serve(web: FastAPI) -> Iterator[str]:
    """Serve ``web`` on 127.0.0.1 (a free port) until the block ends; yields its base URL."""
    server = console_server(web, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            thread.join(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def login_form(client: httpx.Client) -> str:
    """Open the login page (setting its cookie); returns the form's CSRF token. A server that
    prints its address a moment before it listens is waited for."""
    for _ in range(200):
        try:
            form = client.get("/login")
            break
        except httpx.ConnectError:
            time.sleep(0.1)
    found = LOGIN_CSRF.search(form.text)
    assert found is not None
    return found.group(1)


def post_login(client: httpx.Client, token: str, username: str, password: str) -> httpx.Response:
    return client.post("/login", data={"username": username, "password": password, "csrf": token})


def logged_in(base: str, username: str, password: str = PASSWORD) -> tuple[httpx.Client, str]:
    """A client with a session; returns it with the session's CSRF token."""
    client = httpx.Client(base_url=base, timeout=120)
    reply = post_login(client, login_form(client), username, password)
    assert reply.status_code == 303, reply.text
    page = client.get(reply.headers["location"])
    found = LOGIN_CSRF.search(page.text)
    assert found is not None, page.text
    return client, found.group(1)
