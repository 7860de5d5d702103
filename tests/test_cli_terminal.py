"""What the CLI prints never carries terminal controls, whatever is stored or named."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from console import demo
from console.demo import DEMO_AGENTS
from store.case_import import import_cases
from store.db import make_engine
from store.models import Agent, Case, ClientBank, Person
from tests.conftest import SAMPLE_CASES
from tests.helpers import read_csv, write_csv
from tests.test_cli import run
from tests.webdata import console_app

HOSTILE = "张\x1b]0;owned\x07\x1b[2J\u202e三\n伪造 0 of 0 case(s)"


def test_cases_list_neutralises_names_stored_before_import_refused_them(
    tmp_path: Path, db_url: str
) -> None:
    assert run(["import", "cases", str(SAMPLE_CASES)], tmp_path, db_url).returncode == 0
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            debtor = conn.scalar(select(Case.debtor_id).order_by(Case.id).limit(1))
            conn.execute(update(Person).where(Person.id == debtor).values(name=HOSTILE))
            conn.execute(update(Case).where(Case.id == 1).values(account_no="62\u202e25\r"))
    finally:
        engine.dispose()
    listing = run(["cases", "list", "--limit", "100"], tmp_path, db_url)
    assert listing.returncode == 0, listing.stderr
    for char in "\x1b\x07\u202e\r":
        assert char not in listing.stdout
    lines = listing.stdout.splitlines()
    assert len(lines) == 61 and lines[-1] == "60 of 60 case(s)"
    assert "张\\x1b]0;owned\\x07\\x1b[2J\\u202e三\\x0a伪造 0 of 0 case(s)" in lines[0]
    assert lines[0].startswith("62\\u202e25\\x0d")


def test_import_problems_never_echo_controls(tmp_path: Path, db_url: str) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    header[0] = "client\x1b[2Jbank"
    path = write_csv(tmp_path / "bad\u202eSCV.csv", header, rows)
    result = run(["import", "cases", str(path)], tmp_path, db_url)
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert ":1:client\\x1b[2Jbank: unknown column" in result.stderr
    assert "bad\\u202eSCV.csv: rejected" in result.stderr


CONTROLS = set("\x1b\x07\u202e\r")
"""What must never reach the terminal (newlines are checked by counting lines)."""


def _hostile_accounts(db_url: str) -> None:
    """Every case's account number and bank code carry controls, as rows stored
    before the importer refused them would."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Case).values(account_no=Case.account_no + "\x1b[2J\u202e\r"))
            conn.execute(update(ClientBank).values(code=ClientBank.code + "\x1b]0;x\x07\n"))
            conn.execute(update(Case).values(imported_at=datetime(2026, 11, 20, 2, tzinfo=UTC)))
    finally:
        engine.dispose()


def test_schedule_preview_neutralises_what_it_prints(tmp_path: Path, db_url: str) -> None:
    assert run(["import", "cases", str(SAMPLE_CASES)], tmp_path, db_url).returncode == 0
    added = run(["agent", "add", "A01", "--sip", "PJSIP/a01"], tmp_path, db_url)
    assert added.returncode == 0, added.stderr
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:  # as `agent add` stored it before it refused controls
            conn.execute(update(Agent).values(code="A\x1b[31m01"))
    finally:
        engine.dispose()
    _hostile_accounts(db_url)
    shown = run(
        ["schedule", "preview", "--at", "2026-12-01 10:00", "--limit", "1000"], tmp_path, db_url
    )
    assert shown.returncode == 0, shown.stderr
    assert not CONTROLS & set(shown.stdout)
    lines = shown.stdout.splitlines()
    dialable = [line for line in lines if line.startswith("  A\\x1b[31m01 ")]
    # every debtor of the sample (their contacts wait for the third-party gate, cn-cba-2026)
    assert len(dialable) >= 90
    assert all("\\x1b[2J\\u202e\\x0d" in line for line in dialable)
    blocked = lines[lines.index("blocked:") + 1 :]
    assert blocked and all("\\x1b[2J\\u202e\\x0d" in line for line in blocked)


def test_demo_worklists_and_summary_neutralise_what_they_print(tmp_path: Path, db_url: str) -> None:
    app = console_app(db_url, tmp_path / "var")
    try:
        import_cases(SAMPLE_CASES, app.sessions, "test")
        with app.sessions.begin() as session:
            session.add_all(Agent(code=c, name=n, sip_endpoint=s) for c, n, s in DEMO_AGENTS)
        _hostile_accounts(db_url)
        out = io.StringIO()
        profile = app.profile()
        demo._preview(app, profile, datetime(2026, 12, 1, 2, tzinfo=UTC), out)
        demo._summary(app, out)
    finally:
        app.engine.dispose()
    text = out.getvalue()
    assert not CONTROLS & set(text)
    assert "\\x1b[2J\\u202e\\x0d" in text and "\\x1b]0;x\\x07\\x0a" in text


def test_import_problems_never_print_a_full_resident_id_or_phone_number(
    tmp_path: Path, db_url: str
) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    first = dict(zip(header, rows[0], strict=True))
    resident, mobile = first["resident_id"], first["mobile"]
    # A file whose header row was left off: its first case is read as the header.
    headless = write_csv(tmp_path / "headless.csv", rows[0], rows[1:3])
    # Columns swapped by hand: the resident ID where the mobile goes, and back.
    swapped = [dict(zip(header, row, strict=True)) for row in rows[:2]]
    swapped[0]["mobile"], swapped[0]["days_past_due"] = resident, mobile
    mixed = write_csv(tmp_path / "swapped.csv", header, [list(r.values()) for r in swapped])
    for path in (headless, mixed):
        result = run(["import", "cases", str(path)], tmp_path, db_url)
        assert result.returncode == 1, result.stderr
        assert resident not in result.stderr and mobile not in result.stderr, result.stderr
        assert f"{resident[:6]}********{resident[-4:]}" in result.stderr
        assert f"{mobile[:3]}****{mobile[-4:]}" in result.stderr
