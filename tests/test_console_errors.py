"""Errors never show a traceback or a resident's data: the web 500 page, the logs, the CLI."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from console import cli
from console.app import App
from console.logs import configure_logging
from console.web.server import create_app
from store.db import make_engine
from store.models import Agent, DoNotCall, Recording, User, Utterance
from tests.webclient import FakeDialer, login
from tests.webdata import Seed, console_app, seed_console

RESIDENT = "110101199003074514"
PHONE = "+8613812348000"
MOMENT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, ["cw07"])
    app.engine.dispose()


@pytest.fixture
def root_logging() -> Iterator[None]:
    """The CLI reconfigures the root logger; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _duplicate_dnc(engine: Engine) -> None:
    """A real constraint violation whose SQL parameters hold PII."""
    row = {"e164": PHONE, "reason": RESIDENT, "created_by": "t", "created_at": MOMENT}
    with engine.begin() as conn:
        conn.execute(insert(DoNotCall), [row])
    with engine.begin() as conn:
        conn.execute(insert(DoNotCall), [{**row, "reason": RESIDENT + " again"}])


def test_the_500_page_has_the_security_headers_and_no_traceback(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError(f"resident {RESIDENT} at {PHONE}")

    monkeypatch.setattr("console.web.qa.flag_queue", broken)
    client = TestClient(
        create_app(seed.app, FakeDialer(seed.app)),
        follow_redirects=False,
        raise_server_exceptions=False,
    )
    login(client, "admin1")  # (qa1 would land on the broken page)
    reply = client.get("/qa")
    assert reply.status_code == 500
    assert "default-src 'self'" in reply.headers["content-security-policy"]
    assert reply.headers["x-frame-options"] == "DENY"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "Traceback" not in reply.text and RESIDENT not in reply.text
    assert PHONE not in reply.text and "RuntimeError" not in reply.text


@pytest.mark.parametrize(
    ("locale", "said"),
    [("zh_CN", ('lang="zh-CN"', "服务器出错")), ("en", ('lang="en"', "went wrong on the server"))],
)
def test_the_500_page_is_in_the_readers_language(
    seed: Seed, monkeypatch: pytest.MonkeyPatch, locale: str, said: tuple[str, str]
) -> None:
    """The catch-all error page is made outside the request's language (the framework's
    outermost layer): it must still speak the reader's."""

    def broken(*_args: object) -> None:
        raise RuntimeError("broken")

    monkeypatch.setattr("console.web.qa.flag_queue", broken)
    with seed.app.sessions.begin() as session:
        session.execute(update(User).where(User.username == "admin1").values(locale=locale))
    client = TestClient(
        create_app(seed.app, FakeDialer(seed.app)),
        follow_redirects=False,
        raise_server_exceptions=False,
    )
    login(client, "admin1")
    reply = client.get("/qa")
    assert reply.status_code == 500
    for words in said:
        assert words in reply.text, reply.text[-800:]


def test_a_constraint_violation_from_the_web_is_a_4xx_without_the_values(
    seed: Seed, monkeypatch: pytest.MonkeyPatch
) -> None:
    def racing(*_args: object) -> None:
        _duplicate_dnc(seed.app.engine)

    monkeypatch.setattr("console.web.admin.add_do_not_call", racing)
    client = TestClient(
        create_app(seed.app, FakeDialer(seed.app)),
        follow_redirects=False,
        raise_server_exceptions=False,
    )
    token = login(client, "admin1")
    reply = client.post(
        "/admin/dnc", data={"number": "13812348000", "reason": "asked", "csrf": token}
    )
    assert reply.status_code == 409, reply.text
    assert PHONE not in reply.text and RESIDENT not in reply.text
    assert "content-security-policy" in reply.headers


def test_sql_parameters_are_never_in_an_error_message(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with pytest.raises(IntegrityError) as caught:
            _duplicate_dnc(engine)
    finally:
        engine.dispose()
    # (PostgreSQL's own DETAIL names the key's value; the CLI and the web never print it.)
    assert RESIDENT not in str(caught.value)


def test_logged_tracebacks_are_masked(
    capsys: pytest.CaptureFixture[str], root_logging: None
) -> None:
    configure_logging("INFO")
    try:
        raise ValueError(f"resident {RESIDENT} phone {PHONE} mobile 13812348000")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    err = capsys.readouterr().err
    assert "Exception in ASGI application" in err and "ValueError" in err
    assert RESIDENT not in err and PHONE not in err and "13812348000" not in err


def _cli(monkeypatch: pytest.MonkeyPatch, db_url: str, tmp_path: Path, argv: list[str]) -> int:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CALLWARDEN_DATABASE_URL", db_url)
    return cli.main(argv)


def test_cli_prints_a_database_error_without_parameters_or_traceback(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    def failing(app: App, _args: argparse.Namespace, _out: TextIO) -> int:
        _duplicate_dnc(app.engine)
        return 0

    monkeypatch.setattr(cli, "cmd_cases_list", failing)
    code = _cli(monkeypatch, db_url, tmp_path, ["cases", "list"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_DATABASE
    assert "database" in captured.err and "nothing was written" in captured.err
    for secret in (RESIDENT, PHONE, "Traceback"):
        assert secret not in captured.err + captured.out


def test_cli_reports_an_unexpected_error_in_one_line(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    def broken(_app: App, _args: argparse.Namespace, _out: TextIO) -> int:
        raise RuntimeError(f"resident {RESIDENT}")

    monkeypatch.setattr(cli, "cmd_cases_list", broken)
    code = _cli(monkeypatch, db_url, tmp_path, ["cases", "list"])
    captured = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in captured.err and RESIDENT not in captured.err
    assert "internal error" in captured.err


def test_at_the_ends_of_the_calendar_is_a_usage_error(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    shipped = Path(__file__).parent.parent / "config/policy/cn-default.toml"
    for at in (
        "0001-01-01 00:00",
        "9999-12-31 23:59",
        "0001-01-01T00:00+14:00",
        "9999-12-31T23:59-12:00",
    ):
        for argv in (
            ["schedule", "preview", "--at", at],
            ["policy", "check", str(shipped), "--at", at],
        ):
            code = _cli(monkeypatch, db_url, tmp_path, argv)
            captured = capsys.readouterr()
            assert code == cli.EXIT_USAGE, (argv, captured.err)
            assert "--at" in captured.err and "Traceback" not in captured.err, argv


def test_absurd_numbers_on_the_command_line_are_usage_errors(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    for argv in (
        ["cases", "list", "--limit", "-1"],
        ["cases", "list", "--limit", "0"],
        ["cases", "list", "--limit", "9" * 30],
        ["serve", "--port", "99999"],
        ["serve", "--port", "-1"],
        ["serve", "--port", "0"],
        ["schedule", "preview", "--limit", "-5"],
        ["recordings", "sweep", "--min-age", "nan"],
        ["recordings", "sweep", "--min-age", "inf"],
        ["recordings", "sweep", "--min-age", "-1e308"],
    ):
        with pytest.raises(SystemExit) as stopped:
            _cli(monkeypatch, db_url, tmp_path, argv)
        err = capsys.readouterr().err
        assert stopped.value.code == cli.EXIT_USAGE and "Traceback" not in err, argv
        assert "argument" in err, argv


def test_agent_add_checks_every_value_before_writing(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    bad = (
        (["A" * 33, "--sip", "PJSIP/a"], "code"),
        (["A01", "--name", "名" * 101, "--sip", "PJSIP/a"], "--name"),
        (["A01", "--sip", "P" * 101], "--sip"),
        (["A01", "--sip", " "], "--sip"),
        (["", "--sip", "PJSIP/a"], "code"),
        (["A\x1b[2J01", "--sip", "PJSIP/a"], "code"),
        (["A01", "--name", "王\u202e芳", "--sip", "PJSIP/a"], "--name"),
        (["A01", "--sip", "PJSIP/a\n01"], "--sip"),
    )
    assert _cli(monkeypatch, db_url, tmp_path, ["init"]) == 0
    capsys.readouterr()
    for argv, field in bad:
        code = _cli(monkeypatch, db_url, tmp_path, ["agent", "add", *argv])
        captured = capsys.readouterr()
        assert code == cli.EXIT_USAGE, (argv, captured)
        assert field in captured.err and "added" not in captured.out, argv
        assert "\x1b" not in captured.err and "\u202e" not in captured.err
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Agent)) == 0
    finally:
        engine.dispose()
    assert _cli(monkeypatch, db_url, tmp_path, ["agent", "add", "A01", "--sip", "PJSIP/a01"]) == 0
    assert capsys.readouterr().out == "agent A01 added\n"


def test_calls_show_with_an_id_no_row_can_have_says_so(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    assert _cli(monkeypatch, db_url, tmp_path, ["init"]) == 0
    capsys.readouterr()
    for key in (str(2**63), str(2**64), "9" * 400, "²", "١٢", "-1", "1.5"):
        code = _cli(monkeypatch, db_url, tmp_path, ["calls", "show", "--", key])
        err = capsys.readouterr().err
        assert code == cli.EXIT_REJECTED, (key, err)
        assert "no single recording matches" in err and "internal error" not in err, key


def test_calls_show_prints_transcripts_and_errors_inert(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root_logging: None,
) -> None:
    seed = seed_console(console_app(db_url, tmp_path / "var"), ["cw07"])
    rec = seed.recordings["cw07"]
    with seed.app.sessions.begin() as session:
        # What a recogniser can emit (byte-level tokens) and an error naming a spool file.
        session.execute(update(Utterance).values(text="你好\x1b[2J\u202e再见\r"))
        session.execute(update(Recording).values(error="bad.wav\x1b]0;x\x07"))
    seed.app.engine.dispose()
    assert _cli(monkeypatch, db_url, tmp_path, ["calls", "show", str(rec)]) == 0
    out = capsys.readouterr().out
    assert not set("\x1b\x07\u202e\r") & set(out)
    assert "你好\\x1b[2J\\u202e再见\\x0d" in out and "bad.wav\\x1b]0;x\\x07" in out


@pytest.mark.parametrize(
    ("locale", "said", "not_said"),
    [
        ("zh_CN", "暂不能拨打：本控制台不外呼", "this console places no calls"),
        ("en", "Dialling is unavailable: this console places no calls", "本控制台不外呼"),
    ],
)
def test_a_console_that_places_no_calls_says_so_in_the_agents_language(
    seed: Seed, locale: str, said: str, not_said: str
) -> None:
    """An agent (one who owes no note) on a console started without a PBX reads why on the
    worklist, once, in their own language (the reason was written in both, side by side)."""
    from console.web.dialing import NoDialer  # noqa: PLC0415

    with seed.app.sessions.begin() as session:
        session.execute(update(User).where(User.username == "agent2").values(locale=locale))
    client = TestClient(create_app(seed.app, NoDialer()), follow_redirects=False)
    login(client, "agent2")
    page = client.get("/agent")
    assert page.status_code == 200
    assert said in page.text and not_said not in page.text, page.text[-1500:]
