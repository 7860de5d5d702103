"""Every route, every field, hostile values: never a 5xx, always the security headers.

The probes of issue 16 were examples of classes (edge ids, dates and numbers, NUL, formulas,
paths); this walks each class through every query, form and path field the console has, so a
new route cannot bring a class back unnoticed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from console.web.auth import RoleGuard
from console.web.server import create_app, routers
from tests.webclient import FakeDialer, login
from tests.webdata import USERS, Seed, console_app, seed_console

HOSTILE = [
    "",
    "-1",
    str(2**63),
    str(2**64),
    "1e308",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31 23:59",
    "a\x00b",
    "=1+1",
    "../../etc/passwd",
    "²",
    "x" * 5000,
]
FIXED_PATH = {"kind": "policy", "name": "cn-default"}


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, ["cw07"])
    app.engine.dispose()


def _fields(dependant: Dependant) -> tuple[set[str], set[str]]:
    """The query and form field names of a route, its dependencies' included."""
    query = {p.alias for p in dependant.query_params}
    form = {p.alias for p in dependant.body_params}
    for sub in dependant.dependencies:
        more_query, more_form = _fields(sub)
        query |= more_query
        form |= more_form
    return query, form


def _user_for(route: APIRoute) -> str:
    guards = [d.call for d in route.dependant.dependencies if isinstance(d.call, RoleGuard)]
    return next(u for u in USERS if not guards or USERS[u] in guards[0].roles)


def test_no_hostile_value_in_any_field_gets_a_5xx_or_loses_the_headers(seed: Seed) -> None:
    web = create_app(seed.app, FakeDialer(seed.app))
    clients: dict[str, tuple[TestClient, str]] = {}
    for user in USERS:
        client = TestClient(web, follow_redirects=False, raise_server_exceptions=False)
        clients[user] = (client, login(client, user))
    routes = [r for router in routers() for r in router.routes if isinstance(r, APIRoute)]
    failures: list[tuple[str, str, str, int]] = []
    for route in routes:
        if route.path == "/logout":
            continue
        client, token = clients[_user_for(route)]
        query_names, form_names = _fields(route.dependant)
        for method in sorted(route.methods):
            for value in HOSTILE:
                url = re.sub(
                    r"{(\w+)}",
                    lambda m, v=value: FIXED_PATH.get(m.group(1), quote(v, safe="") or "1"),
                    route.path,
                )
                form: dict[str, Any] | None = None
                if method == "POST":
                    form = {name: value for name in form_names} | {"csrf": token}
                reply = client.request(
                    method, url, params={name: value for name in query_names}, data=form
                )
                if reply.status_code >= 500 or "content-security-policy" not in reply.headers:
                    failures.append((method, url[:60], value[:12], reply.status_code))
    assert not failures
