"""The 2026 guideline's rules named where decisions are explained (issue 19 item 5): under
cn-default, the admin "dialable at" page, ``schedule preview`` and ``policy check`` name the
third-party gate, the per-number cap and the working-day interval when each blocks, with the
rule's Chinese reason where the output gives reasons. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from console import cli
from dialer.worklist_source import build_worklists
from store.enums import AttemptStatus
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets
from tests.test_kept_schedule import PROFILE
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import Seed, console_app, seed_console

SH = ZoneInfo("Asia/Shanghai")
AT = "2026-12-01 10:00"  # a Tuesday
NOW = datetime(2026, 12, 1, 10, tzinfo=SH)
GATE, CAP, INTERVAL = (
    "cba.third_party_gate",
    "cba.cap.unanswered_per_number",
    "company.third_party.interval",
)
WORDS = {
    GATE: "尚未联系过债务人，暂不能联系第三方",
    CAP: "今日未接通外呼已 6 次，上限 6 次（按号码）",
    INTERVAL: "不足 2 个工作日（按人），2026-12-02 起可再拨",
}


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    """The sample under cn-default: one debtor's mobile went unanswered 6 times this morning
    (the guideline's per-number cap); another case's debtor 3 times yesterday, and then its
    family contact was called (the gate opened, the interval runs); the other contacts' debtors
    were never called (the gate is shut)."""
    seeded = seed_console(console_app(db_url, tmp_path / "var"), [])
    sessions = seeded.app.sessions
    debtors = debtor_targets(sessions)
    family = contact_targets(sessions, "family")
    capped = next(t for t in debtors if t.case_id not in {f.case_id for f in family[:2]})
    morning = [NOW - timedelta(hours=2) + timedelta(minutes=10 * i) for i in range(6)]
    add_attempts(sessions, capped, morning, AttemptStatus.NO_ANSWER)
    spaced: Target = family[1]
    debtor = next(t for t in debtors if t.case_id == spaced.case_id)
    yesterday = NOW - timedelta(days=1)
    add_attempts(
        sessions,
        debtor,
        [yesterday - timedelta(minutes=30 * i) for i in (3, 2, 1)],
        AttemptStatus.NO_ANSWER,
    )
    add_attempts(sessions, spaced, [yesterday], AttemptStatus.NO_ANSWER)
    yield seeded
    seeded.app.engine.dispose()


def test_the_book_has_each_rule_blocking(seed: Seed) -> None:
    with seed.app.reads() as session:
        schedule = build_worklists(session, PROFILE, NOW, [])
    reasons = {b.rule: b.reason_zh for b in schedule.blocked}
    for rule, words in WORDS.items():
        assert words in reasons[rule], (rule, reasons.get(rule))


def test_the_admin_page_names_each_rule_with_its_chinese_reason(seed: Seed) -> None:
    admin = console_client(seed.app, FakeDialer(seed.app))
    login(admin, "admin1")
    summary = admin.get("/admin/preview", params={"at": AT}).text
    for rule, words in WORDS.items():
        assert f"<code>{rule}</code>" in summary
        page = admin.get("/admin/preview", params={"at": AT, "rule": rule}).text
        assert words in html.unescape(page), rule


def _cli(seed: Seed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str]) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", seed.app.settings.database.url)
    monkeypatch.setenv("CALLWARDEN_PATHS_VAR_DIR", str(seed.app.settings.paths.var_dir))
    out = io.StringIO()
    assert cli.main(argv, out) == 0
    return out.getvalue()


def test_schedule_preview_and_policy_check_name_each_rule(
    seed: Seed, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = _cli(seed, monkeypatch, tmp_path, ["schedule", "preview", "--at", AT, "--limit", "999"])
    doc = json.loads(
        _cli(seed, monkeypatch, tmp_path, ["schedule", "preview", "--at", AT, "--json"])
    )
    for rule, words in WORDS.items():
        assert re.search(rf"{re.escape(rule)} .*{re.escape(words)}", text), rule
        assert any(b["rule"] == rule and words in b["reason_zh"] for b in doc["blocked"]), rule
    # checking the profile in force: what it changes is nothing, what blocks is each rule
    check = _cli(seed, monkeypatch, tmp_path, ["policy", "check", "cn-default", "--at", AT])
    for rule in WORDS:
        assert re.search(rf"blocked by {re.escape(rule)}: (\d+) → \1\n", check), (rule, check)
