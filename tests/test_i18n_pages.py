"""Every page of every role in English carries no Chinese of the console's own (issue 20 item 1):
whatever Chinese is left on a page is data (a debtor's name, a note, a lexicon term), never a
label, a reason, a status or an error. A page in the default language is still Chinese.

What counts as data is what the database holds, less the tables the console writes its own
wording into (the kept schedule's reasons): those must be shown in the reader's language.
"""

from __future__ import annotations

import io
import re
import sys
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import String, Text, select, update

from compliance.complaints import Channel, ComplaintStatus, Grade
from compliance.lexicon import load_lexicon
from compliance.promises import PromiseStatus
from console.cli import main
from console.enum_names import ACTOR_ZH, CATEGORY_ZH, category_named
from console.i18n import LOCALE_NAMES, use_locale
from console.web.server import create_app, routers
from store.enums import (
    AttemptStatus,
    CaseStatus,
    ConsentScope,
    HoldReason,
    NumberKind,
    RecordingStatus,
    Relation,
    ReviewStatus,
    Speaker,
    SpotCheckResult,
    Verdict,
)
from store.models import Base, Case, User
from store.notes import NoteOutcome
from store.pii import mask_name, mask_text
from tests.conftest import ROOT
from tests.test_agent_queue import a_case_with, assign, case_block, owner_pass
from tests.test_complaints_web import _open as _open_complaint
from tests.test_console import PUBLIC, STREAMS, _guard, _path_values
from tests.webclient import FakeDialer, console_client, login
from tests.webdata import CALL_DAY, USERS, Seed, console_app, seed_console

HAN = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
CALLS = ["cw07", "cw01", "cw11", "cw34", "cw02"]
OWN_WORDING = {"schedule_entry", "schedule_blocked", "schedule_state"}
"""Tables whose text the console wrote from its own wording: not data, must be translated."""
ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
NOT_PAGES = (".csv", ".xlsx", ".zip", "/audio", "/bundle", "/static")
"""Downloads and media: their headers are checked by their own tests."""


UNREAD = {"script", "style", "textarea", "blockquote", "mark"}
"""Not interface text: code, a typed form, what was said (a quote, the words a rule fired on)."""
INLINE = {"a", "b", "i", "em", "strong", "span", "mark", "code", "small", "abbr"}
"""Tags inside a run of text (a transcript's highlighted words): no break in what is read."""
NOT_YET: set[str] = set()
"""Classes of elements whose words are known not to be translated yet (none now: why the
approved phrases fit a case is a catalog message since ``compliance.said``)."""
DATA = {"transcript"}
"""Classes of elements that hold what was said on a call (its highlighted words split it);
quotes (:data:`UNREAD`) are skipped as tags."""


class _Text(HTMLParser):
    """The text a reader sees: text nodes and labelling attributes, not scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = set((dict(attrs).get("class") or "").split())
        if tag in UNREAD or classes & (NOT_YET | DATA):
            self._skip.append(tag)
        elif self._skip and tag == self._skip[0]:
            self._skip.append(tag)  # the same tag nested in a skipped one
        if tag not in INLINE:
            self.parts.append("\n")
        self.parts += [f"\n{v}\n" for k, v in attrs if k in ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag == self._skip[-1]:
            self._skip.pop()
        if tag not in INLINE:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def _strings(tree: object) -> Iterator[str]:
    if isinstance(tree, str):
        yield tree
    elif isinstance(tree, dict):
        for value in tree.values():
            yield from _strings(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _strings(value)


def data_values(seed: Seed) -> list[str]:
    """Every Chinese text the database holds as data (and its masked forms), longest first."""
    found: set[str] = set(LOCALE_NAMES.values())
    # The approved phrases are data too: what the agent says to the debtor, in Chinese.
    phrases = ROOT / "config" / "phrases" / f"{seed.app.phrases_name()}.toml"
    found.update(text for text in _strings(tomllib.loads(phrases.read_text("utf-8"))))
    with seed.app.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in OWN_WORDING:
                continue
            for column in table.columns:
                if not isinstance(column.type, String | Text):
                    continue
                for value in session.scalars(select(column).where(column.is_not(None))):
                    if HAN.search(value):
                        found.update((value, mask_text(value), mask_name(value)))
                        found.update(value.splitlines())
    return sorted(found, key=len, reverse=True)


def interface_chinese(html: str, data: list[str]) -> list[str]:
    text = visible_text(html)
    for value in data:
        text = text.replace(value, " ")
    return HAN.findall(text)


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, CALLS, agent_calls=1)
    app.engine.dispose()


def with_a_complaint(seed: Seed) -> Seed:
    """``seed`` with complaint 1 open (and its hold), so its pages have something to show."""
    client = console_client(seed.app, FakeDialer(seed.app))
    assert _open_complaint(seed, client, login(client, "admin1")) == 1
    return seed


def _pages(seed: Seed) -> Iterator[tuple[str, str, TestClient]]:
    """Each role's user, each page (GET, not a download) that role may open, logged in."""
    web = create_app(seed.app, FakeDialer(seed.app), clock=lambda: CALL_DAY)
    routes = [r for router in routers() for r in router.routes if isinstance(r, APIRoute)]
    values = _path_values(seed)
    for user, role in USERS.items():
        client = TestClient(web, follow_redirects=False)
        login(client, user)
        for route in routes:
            guard = _guard(route)
            if "GET" not in route.methods or ("GET", route.path) in PUBLIC or guard is None:
                continue
            if role not in guard.roles or any(part in route.path for part in NOT_PAGES):
                continue
            url = re.sub(r"{(\w+)}", lambda m: values[m.group(1)], route.path)
            yield user, url + STREAMS.get(route.path, ""), client


def test_every_page_in_english_shows_chinese_only_in_data(seed: Seed) -> None:
    with_a_complaint(seed)
    with seed.app.sessions.begin() as session:
        session.execute(update(User).values(locale="en"))
    data = data_values(seed)
    problems: list[str] = []
    seen = 0
    for user, url, client in _pages(seed):
        reply = client.get(url)
        if "text/html" not in reply.headers.get("content-type", ""):
            continue
        seen += 1
        left = interface_chinese(reply.text, data)
        if left:
            problems.append(f"{user} {url} ({reply.status_code}): {sorted(set(left))[:8]}")
    assert seen > 40, "the walk reached the console's pages"
    assert not problems, "Chinese in the English interface:\n" + "\n".join(problems)


def test_the_default_language_is_still_chinese(seed: Seed) -> None:
    for user, url in [("agent1", "/agent"), ("qa1", "/qa"), ("admin1", "/admin/holds")]:
        client = console_client(seed.app, FakeDialer(seed.app))
        login(client, user)
        page = client.get(url)
        assert page.status_code == 200, (url, page.text[:300])
        assert len(interface_chinese(page.text, data_values(seed))) > 5, url


def _as(seed: Seed, user: str, locale: str) -> tuple[TestClient, str]:
    with seed.app.sessions.begin() as session:
        session.execute(update(User).where(User.username == user).values(locale=locale))
    client = console_client(seed.app, FakeDialer(seed.app))
    return client, login(client, user)


@pytest.mark.parametrize(
    ("locale", "said", "not_said"),
    [
        ("en", "note: write what was said and agreed", "请填写通话内容与约定"),
        ("zh_CN", "请填写通话内容与约定", "write what was said"),
    ],
)
def test_a_refused_note_says_why_in_the_agents_language(
    seed: Seed, locale: str, said: str, not_said: str
) -> None:
    """The store's refusal (store.notes.NoteError) is a catalog message, not fixed words."""
    client, token = _as(seed, "agent1", locale)
    form = {"attempt_id": str(seed.attempts["cw07"]), "outcome": "negotiating", "text": " "}
    page = client.post("/agent/notes", data={**form, "csrf": token})
    assert said in page.text and not_said not in page.text


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("en", ["note: say why collection may resume", "number &#39;12&#39;: not a valid number"]),
        ("zh_CN", ["说明：请写明为何可以恢复催收", "号码 &#39;12&#39;：不是有效号码"]),
    ],
)
def test_a_refused_hold_change_says_why_in_the_admins_language(
    seed: Seed, locale: str, said: list[str]
) -> None:
    client, token = _as(seed, "admin1", locale)
    hold = _path_values(seed)["hold_id"]
    no_reason = client.post(f"/admin/holds/{hold}/clear", data={"note": " ", "csrf": token})
    bad_dnc = client.post("/admin/dnc", data={"number": "12", "reason": "x", "csrf": token})
    assert said[0] in no_reason.text and said[1] in bad_dnc.text
    if locale == "en":
        assert not interface_chinese(no_reason.text, data_values(seed))


def test_a_missing_consent_is_a_404_in_the_readers_language(seed: Seed) -> None:
    client, token = _as(seed, "agent1", "en")
    missing = client.post("/consents/999/withdraw", data={"csrf": token, "note": "x"})
    assert missing.status_code == 404 and "consent 999: not found" in missing.text
    client, token = _as(seed, "agent1", "zh_CN")
    missing = client.post("/consents/999/withdraw", data={"csrf": token, "note": "x"})
    assert missing.status_code == 404 and "同意 999：不存在" in missing.text


def test_the_cli_says_a_store_refusal_in_chinese(
    seed: Seed, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", db_url)
    monkeypatch.setenv("CALLWARDEN_PATHS_VAR_DIR", str(tmp_path / "var"))
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["retention", "release", "999", "--note", "x"], io.StringIO()) != 0
    assert "法律保全 999 不存在" in err.getvalue()


@pytest.fixture
def bare(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    """Cases, agents and users; no call yet."""
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, [])
    app.engine.dispose()


def _family_case_blocks(seed: Seed, kept: bool) -> tuple[str, str]:
    """A02's worklist block of a case with a family contact, read in English then Chinese,
    from kept rows (an owner pass) or computed for the page."""
    with seed.app.sessions.begin() as session:  # the deadlines must not follow the wall clock
        session.execute(update(Case).values(imported_at=CALL_DAY))
    debtor, _family = a_case_with(seed, "family")
    assign(seed, debtor.case_id, "A02")
    if kept:
        owner_pass(seed)
    blocks = []
    for locale in ("en", "zh_CN"):
        client, _token = _as(seed, "agent2", locale)
        blocks.append(case_block(client.get("/agent").text, debtor.case_id))
    return blocks[0], blocks[1]


@pytest.mark.parametrize("kept", [True, False], ids=["kept", "computed"])
def test_a_blocked_numbers_policy_reason_is_in_the_agents_language(bare: Seed, kept: bool) -> None:
    """The kept schedule keeps the policy's English beside its Chinese (migration 0025)."""
    english, chinese = _family_case_blocks(bare, kept)
    said = "third party: the debtor has not been called yet, third parties not yet allowed"
    assert said in english and "尚未联系过债务人" not in english
    assert "第三方：尚未联系过债务人，暂不能联系第三方" in chinese


@pytest.mark.parametrize("kept", [True, False], ids=["kept", "computed"])
def test_why_a_case_is_due_is_in_the_agents_language(bare: Seed, kept: bool) -> None:
    """The scheduler's reason (dialer.due_words), kept in both languages (migration 0026)."""
    english, chinese = _family_case_blocks(bare, kept)
    assert "first call due by" in english and "首次联系截止" not in english
    assert not interface_chinese(english, data_values(bare))
    assert "首次联系截止" in chinese and "first call" not in chinese


def test_the_previews_due_reasons_are_in_the_admins_language(bare: Seed) -> None:
    with bare.app.sessions.begin() as session:
        session.execute(update(Case).values(imported_at=CALL_DAY))
    at = f"/admin/preview?at={CALL_DAY.isoformat()}".replace("+", "%2B")
    client, _token = _as(bare, "admin1", "en")
    page = client.get(at).text
    assert "first call due by" in page and "首次联系截止" not in page
    client, _token = _as(bare, "admin1", "zh_CN")
    page = client.get(at).text
    assert "首次联系截止" in page and "first call due by" not in page


def test_why_a_worklist_was_computed_is_in_the_agents_language(bare: Seed) -> None:
    client, _token = _as(bare, "agent2", "en")
    assert "Computed for this page: no kept schedule yet" in client.get("/agent").text
    client, _token = _as(bare, "agent2", "zh_CN")
    assert "本页现算：还没有保存的排程" in client.get("/agent").text


def test_a_refused_request_and_a_bad_instant_are_in_the_readers_language(bare: Seed) -> None:
    client, _token = _as(bare, "admin1", "en")
    control = client.get("/agent?show=%01")
    assert control.status_code == 400
    assert "query field 'show': must be UTF-8 text without control characters" in (
        control.text.replace("&#39;", "'")
    )
    preview = client.get("/admin/preview?at=tomorrow")
    assert preview.status_code == 400 and "at: not a date and time: &#39;tomorrow&#39;" in (
        preview.text
    )
    client, _token = _as(bare, "admin1", "zh_CN")
    control = client.get("/agent?show=%01")
    assert "查询参数字段 &#39;show&#39;：须为不含控制字符的 UTF-8 文本" in control.text
    preview = client.get("/admin/preview?at=tomorrow")
    assert "at：不是日期时间：&#39;tomorrow&#39;" in preview.text


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        (
            "en",
            [
                "Call: required",
                "Call: must be a whole number",
                "Call: must be at least 1",
                "Outcome: not one of the choices: &#39;bribe&#39;",
            ],
        ),
        (
            "zh_CN",
            [
                "通话：必填",
                "通话：须为整数",
                "通话：须不小于 1",
                "结果：不是可选的值：&#39;bribe&#39;",
            ],
        ),
    ],
)
def test_a_form_the_framework_refuses_says_why_in_the_readers_language(
    bare: Seed, locale: str, said: list[str]
) -> None:
    """A form field missing or of the wrong kind is refused before the route (FastAPI's own
    check), in the reader's language: the framework's English words never reach the page."""
    client, token = _as(bare, "agent1", locale)
    forms = [
        {"outcome": "negotiating", "text": "约定下周还款"},
        {"attempt_id": "一", "outcome": "negotiating", "text": "约定下周还款"},
        {"attempt_id": "0", "outcome": "negotiating", "text": "约定下周还款"},
        {"attempt_id": "1", "outcome": "bribe", "text": "约定下周还款"},
    ]
    for form, expected in zip(forms, said, strict=True):
        page = client.post("/agent/notes", data={**form, "csrf": token})
        assert page.status_code == 422 and expected in page.text, page.text[-600:]
        assert "Field required" not in page.text and "Input should" not in page.text


VOCABULARIES = (
    AttemptStatus,
    CaseStatus,
    Relation,
    NumberKind,
    Speaker,
    RecordingStatus,
    Verdict,
    HoldReason,
    ReviewStatus,
    SpotCheckResult,
    ConsentScope,
    NoteOutcome,
    Channel,
    Grade,
    ComplaintStatus,
    PromiseStatus,
)
"""The stored vocabularies a page names (``console.enum_names``), never shows raw."""
RAW = {member.value for vocabulary in VOCABULARIES for member in vocabulary} | set(ACTOR_ZH)
"""Raw values a page must name, the system's own actors (detector, live) among them."""
WORD = re.compile(r"(?<![\w./-])[a-z][a-z_]+(?![\w./-])")
"""A lowercase word on its own (not part of a user name, a path or a file name)."""
CATEGORIES = set(load_lexicon("cn-default").categories)
"""The lexicon's category ids: a page names them too (``category_named``)."""


def test_the_flag_categories_are_named_by_the_lexicons_titles() -> None:
    """The catalog's message for a category is the shipped lexicon's title for it."""
    lexicon = load_lexicon("cn-default")
    assert {c: spec.title for c, spec in lexicon.categories.items()} == dict(CATEGORY_ZH)
    with use_locale("en"):
        assert category_named("impersonation") == "Impersonating police, courts or lawyers"
        assert category_named("a_new_one") == "a_new_one"


NOT_NAMED = {"/admin/audit"}
"""The audit log shows what was recorded, as it was recorded."""


def test_every_page_in_chinese_names_stored_values_instead_of_showing_them(seed: Seed) -> None:
    with_a_complaint(seed)
    data = data_values(seed)
    problems: list[str] = []
    for user, url, client in _pages(seed):
        reply = client.get(url)
        if "text/html" not in reply.headers.get("content-type", "") or url in NOT_NAMED:
            continue
        text = visible_text(reply.text)
        for value in data:
            text = text.replace(value, " ")
        raw = sorted(set(WORD.findall(text)) & (RAW | CATEGORIES))
        if raw:
            problems.append(f"{user} {url}: {raw}")
    assert not problems, "raw stored values on a page:\n" + "\n".join(problems)
