"""Driving the console in-process with HTTP (httpx via Starlette's TestClient)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from console.app import App
from console.web.dialing import DialRequest
from console.web.server import create_app
from store.models import CallAttempt, PhoneNumber
from tests.webdata import CALL_DAY, PASSWORD, answered_call

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class FakeDialer:
    """Places a call instantly: the attempt is answered and over, as if the callee hung up."""

    app: App
    requests: list[DialRequest] = field(default_factory=list)
    down: str | None = None

    def unavailable(self) -> str | None:
        return self.down

    def placing(self, agent_id: int) -> bool:
        return False

    def dial(self, request: DialRequest) -> None:
        self.requests.append(request)
        with self.app.sessions.begin() as session:
            number = session.get_one(PhoneNumber, request.item.phone_number_id)
            answered_call(session, request.item.case_id, number, request.agent_id, request.at, 0)


def console_client(app: App, dialer: FakeDialer, at: datetime = CALL_DAY) -> TestClient:
    return TestClient(create_app(app, dialer, clock=lambda: at), follow_redirects=False)


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in; returns the session's CSRF token (read off the landing page)."""
    form = client.get("/login")
    token = CSRF.search(form.text)
    assert token is not None
    reply = client.post(
        "/login", data={"username": username, "password": password, "csrf": token.group(1)}
    )
    assert reply.status_code == 303, reply.text
    page = client.get(reply.headers["location"])
    found = CSRF.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def attempts_of(app: App, agent_id: int) -> list[CallAttempt]:
    with app.sessions() as session:
        return list(session.scalars(select(CallAttempt).where(CallAttempt.agent_id == agent_id)))
