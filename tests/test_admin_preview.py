"""The admin's "dialable at" page: blocked numbers by rule with counts, and paged lists,
on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from console.web.preview import PAGE_ROWS
from store.enums import AttemptStatus
from tests.dbdata import Target, add_attempts, debtor_targets
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console

EVENING = "2026-12-01 21:00"  # outside the window: every number is blocked
MORNING = "2026-12-01 09:00"
YESTERDAY_EVENING = datetime(2026, 11, 30, 19, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


@pytest.fixture
def admin(seed: Seed) -> TestClient:
    client = console_client(seed.app, FakeDialer(seed.app))
    login(client, "admin1")
    return client


def _table(page: str, name: str) -> list[str]:
    """The rows of one table, as their cells' text joined by |."""
    body = re.search(rf'<table class="{name}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, name
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return ["|".join(re.sub(r"<[^>]+>", "", c) for c in row) for row in cells if len(row) > 1]


def _totals(page: str) -> tuple[int, int]:
    found = re.search(r"<strong>(\d+)</strong> 个可拨，<strong>(\d+)</strong> 个被拦截", page)
    assert found
    return int(found.group(1)), int(found.group(2))


def _link(page: str, rel: str, label: str) -> str | None:
    nav = re.search(rf'<nav class="pager" aria-label="{label}">(.*?)</nav>', page, re.S)
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', nav.group(1)) if nav else None
    return html.unescape(found.group(1)) if found else None


def test_blocked_numbers_are_counted_by_rule_and_paged(admin: TestClient) -> None:
    first = admin.get("/admin/preview", params={"at": EVENING}).text
    dialable, blocked = _totals(first)
    assert dialable == 0 and blocked > 2 * PAGE_ROWS  # the sample: three pages
    by_rule = {row.split("|")[0]: int(row.split("|")[1]) for row in _table(first, "by-rule")}
    assert sum(by_rule.values()) == blocked and "company.window" in by_rule
    seen: list[str] = []
    page: str | None = first
    link: str | None = None
    while page is not None:
        rows = _table(page, "blocked")
        assert 0 < len(rows) <= PAGE_ROWS
        seen += rows
        link = _link(page, "next", "被拦截")
        page = admin.get(link).text if link else None
    assert len(seen) == blocked and len(set(seen)) == blocked  # every number once
    last = admin.get("/admin/preview", params={"at": EVENING, "bpage": 999}).text
    assert _table(last, "blocked") == seen[-(blocked % PAGE_ROWS or PAGE_ROWS) :]
    assert _link(last, "prev", "被拦截") and not _link(last, "next", "被拦截")


def _debtors_failed_three_times_yesterday(seed: Seed) -> None:
    """Every active debtor's first number went unanswered 3 times the evening before, so the
    third-party gate lets their contacts be called: the sample then has more than a page of
    numbers dialable in the morning (yesterday's attempts reach no cap and no retry slot)."""
    first: dict[int, Target] = {}
    for target in debtor_targets(seed.app.sessions):
        first.setdefault(target.person_id, target)
    times = [YESTERDAY_EVENING + timedelta(minutes=10 * i) for i in range(3)]
    for target in first.values():
        add_attempts(seed.app.sessions, target, times, AttemptStatus.NO_ANSWER)


def test_the_blocked_list_is_filtered_by_a_rule_from_the_summary(
    seed: Seed, admin: TestClient
) -> None:
    _debtors_failed_three_times_yesterday(seed)
    page = admin.get("/admin/preview", params={"at": MORNING}).text
    dialable, blocked = _totals(page)
    assert dialable > PAGE_ROWS and len(_table(page, "dialable")) == PAGE_ROWS
    assert _link(page, "next", "可拨打")
    links = dict(re.findall(r'<td><a href="([^"]+)"><code>([^<]+)</code>', page))
    assert links, "the summary links each rule"
    by_rule = {row.split("|")[0]: int(row.split("|")[1]) for row in _table(page, "by-rule")}
    for href, rule in links.items():
        only = admin.get(html.unescape(href)).text
        rows = _table(only, "blocked")
        assert len(rows) == min(by_rule[rule], PAGE_ROWS)
        assert all(row.split("|")[2] == rule for row in rows)
    unknown = admin.get("/admin/preview", params={"at": MORNING, "rule": "no.such"}).text
    assert _table(unknown, "blocked") == [] and _totals(unknown) == (dialable, blocked)


def test_a_page_number_out_of_range_is_refused(admin: TestClient) -> None:
    for name in ("dpage", "bpage"):
        for bad in ("0", "-1", "x", str(2**63)):
            reply = admin.get("/admin/preview", params={"at": MORNING, name: bad})
            assert 400 <= reply.status_code < 500, (name, bad)
