"""Explainability with consent, end to end (issue 19 item 5): on a book where a debtor's
approved consent is in force, the admin "dialable at" page, ``callwarden policy check`` and
``callwarden schedule preview`` name the consent (who agreed, to what, until when) in Chinese
and English at 21:30, when it lifts the bank's window; at 22:30 the law's window still blocks
and each says so. A withdrawn, expired or merely requested consent is never named and lifts
nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from config import Settings
from config.settings import DatabaseSettings, PathSettings, PolicySettings
from console import cli
from console.app import build_app
from store.enums import ConsentScope
from store.models import Case, CaseConsent
from tests.dbdata import debtor_targets
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import seed_console

SH = ZoneInfo("Asia/Shanghai")
PROFILE = Path(__file__).parent / "fixtures" / "policy" / "cn-consenting.toml"
"""The guideline's layer plus a company window 08:00–20:00 that a debtor's consent relaxes."""
EVENING, LATE = "2026-12-01 21:30", "2026-12-01 22:30"
DAY = datetime(2026, 12, 1, tzinfo=SH)


@dataclass(frozen=True)
class Book:
    settings: Settings
    account: str
    """The case whose debtor's consent is in force."""
    consent: int
    void: dict[str, int]
    """Consents that must not count: withdrawn, expired, requested → their ids."""


def _consent(case_id: int, until: datetime, **approval: object) -> CaseConsent:
    return CaseConsent(
        case_id=case_id,
        scope=ConsentScope.WINDOW,
        valid_from=DAY - timedelta(days=2),
        valid_until=until,
        evidence_note="债务人电话中同意晚间联系",
        requested_by="agent1",
        requested_at=DAY - timedelta(days=2),
        **approval,
    )


@pytest.fixture
def book(db_url: str, tmp_path: Path) -> Iterator[Book]:
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        paths=PathSettings(var_dir=tmp_path / "var"),
        policy=PolicySettings(profile=str(PROFILE)),
    )
    app = build_app(settings)
    seed_console(app, [])
    cases = sorted({t.case_id for t in debtor_targets(app.sessions)})
    approved = {"approved_by": "sup1", "approved_at": DAY - timedelta(days=2)}
    month = DAY + timedelta(days=30)
    rows = {
        "in force": _consent(cases[0], month, **approved),
        "withdrawn": _consent(
            cases[1],
            month,
            **approved,
            withdrawn_by="agent1",
            withdrawn_at=DAY,
            withdraw_note="撤回",
        ),
        "expired": _consent(cases[2], DAY + timedelta(hours=21), **approved),
        "requested": _consent(cases[3], month),
    }
    with app.sessions.begin() as session:
        session.add_all(rows.values())
        session.flush()
        account = session.get_one(Case, cases[0]).account_no
    ids = {name: row.id for name, row in rows.items()}
    yield Book(settings, account, ids.pop("in force"), ids)
    app.engine.dispose()


def _named(text: str, consent: int) -> bool:
    return re.search(rf"(同意 |consent )#{consent}(?!\d)", text) is not None


def _says_consent_lifts(
    text: str, consent: int, *, chinese: bool = True, english: bool = True
) -> None:
    """The words naming the consent at 21:30: who agreed (the debtor), to what, until when,
    and which rule it relaxed, in Chinese and English (a page: in its reader's language)."""
    if chinese:
        said = (
            f"债务人同意时段外拨打（同意 #{consent}，有效至 2026-12-31 00:00），放宽 company.window"
        )
        assert said in text, text
    if english:
        said = f"consent #{consent} (window, until 2026-12-31 00:00) relaxes company.window"
        assert said in text, text


def _says_law_blocks(
    text: str, consent: int, *, chinese: bool = True, english: bool = True
) -> None:
    if chinese:
        assert f"（债务人同意 #{consent} 不能放宽 law.window）" in text, text
    if english:
        assert f"(consent #{consent} does not relax law.window)" in text


def _cli(book: Book, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str]) -> str:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", book.settings.database.url)
    monkeypatch.setenv("CALLWARDEN_PATHS_VAR_DIR", str(book.settings.paths.var_dir))
    monkeypatch.setenv("CALLWARDEN_POLICY_PROFILE", str(PROFILE))
    out = io.StringIO()
    assert cli.main(argv, out) == 0
    return out.getvalue()


def _admin_pages(book: Book, at: str, locale: str = "zh_CN") -> str:
    """Every page of the admin's "dialable at" lists at ``at``, one after another, in the
    admin's language (a blocked number's reason is the policy's words in that language)."""
    app = build_app(book.settings)
    try:
        admin: TestClient = console_client(app, FakeDialer(app))
        token = login(admin, "admin1")
        admin.post("/me/locale", data={"csrf": token, "locale": locale})
        pages = []
        link: str | None = "/admin/preview?" + f"at={at}"
        while link is not None:
            page = admin.get(link).text
            pages.append(page)
            found = re.search(r'<a href="([^"]+)" rel="next">', page)
            link = html.unescape(found.group(1)) if found else None
        return "\n".join(pages)
    finally:
        app.engine.dispose()


def test_the_admin_page_names_the_consent_at_2130_and_the_law_at_2230(book: Book) -> None:
    evening = _admin_pages(book, EVENING)
    _says_consent_lifts(evening, book.consent, english=False)
    _says_consent_lifts(_admin_pages(book, EVENING, "en"), book.consent, chinese=False)
    late = _admin_pages(book, LATE)
    _says_law_blocks(late, book.consent, english=False)
    _says_law_blocks(_admin_pages(book, LATE, "en"), book.consent, chinese=False)
    for consent in book.void.values():
        assert not _named(evening, consent) and not _named(late, consent)


def test_schedule_preview_names_the_consent_at_2130_and_the_law_at_2230(
    book: Book, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for flags in ([], ["--json"]):
        evening = _cli(
            book,
            monkeypatch,
            tmp_path,
            ["schedule", "preview", "--at", EVENING, "--limit", "9999", *flags],
        )
        late = _cli(
            book,
            monkeypatch,
            tmp_path,
            ["schedule", "preview", "--at", LATE, "--limit", "9999", *flags],
        )
        _says_consent_lifts(evening, book.consent)
        _says_law_blocks(late, book.consent)
        for consent in book.void.values():
            assert not _named(evening, consent) and not _named(late, consent)
    doc = json.loads(evening)
    lifted = [d for d in doc["dialable"] if d["case"] == book.account]
    assert lifted and all(d["contact"] == "debtor" for d in lifted)
    # only the consenting debtor is dialable at 21:30: the void consents lift nothing
    assert {d["case"] for d in doc["dialable"]} == {book.account}
    blocked = {d["case"]: d for d in json.loads(late)["blocked"] if d["contact"] == "debtor"}
    assert blocked[book.account]["rule"] == "law.window"
    assert "不能放宽 law.window" in blocked[book.account]["reason_zh"]


def test_policy_check_names_the_consent_at_2130_and_the_law_at_2230(
    book: Book, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    evening = _cli(book, monkeypatch, tmp_path, ["policy", "check", str(PROFILE), "--at", EVENING])
    _says_consent_lifts(evening, book.consent)
    late = _cli(book, monkeypatch, tmp_path, ["policy", "check", str(PROFILE), "--at", LATE])
    _says_law_blocks(late, book.consent)
    for consent in book.void.values():
        assert not _named(evening, consent) and not _named(late, consent)
    # the rules the guideline added, and which of them a consent may relax
    assert "cba.window (window), cba.cap.unanswered_per_number (frequency)" in evening
