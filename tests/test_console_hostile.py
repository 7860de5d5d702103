"""The console under hostile requests: ranges, CSRF, CSV formulas, `extends`, edge values.

Each probe must end in a clear 4xx (or a normal page), never a 500, and write nothing it
should not; every response that carries recording bytes is in the audit log.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from compliance.errors import ProfileError
from compliance.policy import load_profile
from store.models import Agent, AuditLog, CollectionNote, Flag, Recording, ReviewVerdict
from tests.webclient import CSRF, FakeDialer, console_client, login
from tests.webdata import PASSWORD, Seed, console_app, seed_console

CALLS = ["cw07", "cw01"]
HUGE = str(2**64)
JUST_PAST = str(2**63)


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, CALLS)
    app.engine.dispose()


@pytest.fixture
def client(seed: Seed) -> TestClient:
    return console_client(seed.app, FakeDialer(seed.app))


def _count(seed: Seed, model: type[object], *where: object) -> int:
    with seed.app.sessions() as session:
        query = select(func.count()).select_from(model)
        return session.scalar(query.where(*where) if where else query) or 0  # type: ignore[arg-type]


def _plays(seed: Seed) -> list[AuditLog]:
    with seed.app.sessions() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == "recording.play")))


def test_every_response_that_carries_recording_bytes_is_audited(
    client: TestClient, seed: Seed
) -> None:
    login(client, "qa1")
    rec = seed.recordings["cw07"]
    with seed.app.sessions() as session:
        row = session.get_one(Recording, rec)
        whole = seed.app.archive.read_all(Path(row.path), row.sha256)  # sealed by default
    size = len(whole)
    long_last = "9" * 5000
    served: dict[str, tuple[int, slice]] = {
        "bytes=-99999999": (206, slice(0, size)),
        "bytes=1-": (206, slice(1, size)),
        "bytes=00-": (206, slice(0, size)),
        "bytes=0-0": (206, slice(0, 1)),
        "bytes=-100": (206, slice(size - 100, size)),
        f"bytes=10-{size * 5}": (206, slice(10, size)),
        "BYTES=2-5": (206, slice(2, 6)),  # the unit is case-insensitive
        "bytes=2-5, ": (206, slice(2, 6)),  # an empty list element is allowed
        f"bytes=1-{long_last}": (206, slice(1, size)),
        # Not understood, or more than one range: ignored, the whole file.
        "bytes=5-1": (200, slice(0, size)),
        "bytes = 1-": (200, slice(0, size)),
        "bytes=1-2,4-5": (200, slice(0, size)),
        "bytes=abc": (200, slice(0, size)),
        "items=0-": (200, slice(0, size)),
        "bytes=+1-": (200, slice(0, size)),
    }
    for header, (status, part) in served.items():
        with seed.app.sessions.begin() as session:
            session.execute(delete(AuditLog).where(AuditLog.action == "recording.play"))
        reply = client.get(f"/recordings/{rec}/audio", headers={"Range": header})
        assert (reply.status_code, reply.content == whole[part]) == (status, True), header
        if status == 206:
            expected = f"bytes {part.start}-{part.stop - 1}/{size}"
            assert reply.headers["content-range"] == expected, header
        plays = _plays(seed)
        assert [(p.actor, p.object_id) for p in plays] == [("qa1", str(rec))], header
    # Seeking within a playback adds no row: one per user and recording in the window.
    client.get(f"/recordings/{rec}/audio", headers={"Range": "bytes=500-"})
    assert len(_plays(seed)) == 1
    # Another user playing it is a row of their own.
    other = console_client(seed.app, FakeDialer(seed.app))
    login(other, "admin1")
    other.get(f"/recordings/{rec}/audio", headers={"Range": "bytes=9-"})
    assert sorted(p.actor for p in _plays(seed)) == ["admin1", "qa1"]


def test_an_unsatisfiable_range_is_416_and_carries_nothing(client: TestClient, seed: Seed) -> None:
    login(client, "qa1")
    rec = seed.recordings["cw07"]
    with seed.app.sessions() as session:
        size = session.get_one(Recording, rec).size_bytes  # the audio's, not the sealed file's
    for header in (f"bytes={size}-", "bytes=-0", f"bytes={'9' * 30}-", f"bytes={size}-{size}"):
        reply = client.get(f"/recordings/{rec}/audio", headers={"Range": header})
        assert reply.status_code == 416, header
        assert reply.headers["content-range"] == f"bytes */{size}", header
        assert b"RIFF" not in reply.content


def test_login_without_a_csrf_token_is_refused(client: TestClient, seed: Seed) -> None:
    fresh = console_client(seed.app, FakeDialer(seed.app))
    for form in (
        {"username": "qa1", "password": PASSWORD},
        {"username": "qa1", "password": PASSWORD, "csrf": ""},
    ):
        reply = fresh.post("/login", data=form)
        assert reply.status_code == 403, reply.text
        assert "cw_session" not in reply.headers.get("set-cookie", "")
    fresh.cookies.set("cw_login_csrf", "", path="/login")
    empty = fresh.post("/login", data={"username": "qa1", "password": PASSWORD, "csrf": ""})
    assert empty.status_code == 403
    assert _count(seed, AuditLog, AuditLog.action == "login") == 0
    # The real form still works.
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    ok = client.post(
        "/login", data={"username": "qa1", "password": PASSWORD, "csrf": token.group(1)}
    )
    assert ok.status_code == 303


TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets skip leading blanks before a formula, and CJK input methods type the
# full-width forms, which Excel reads as the ASCII ones.
DISGUISED = (
    " =1+1",
    "\u3000=1+1",
    "\n@SUM(1)",
    "\u200b=1",
    "＝1+1",
    "＋1",
    "－2",
    "＠SUM(1)",
    " ＝1",
)


def _formula_like(cell: str) -> bool:
    stripped = unicodedata.normalize("NFKC", cell).lstrip(" \t\r\n\u3000\u200b")
    return cell.startswith(TRIGGERS) or stripped.startswith(TRIGGERS)


def test_csv_exports_neutralise_formulas(client: TestClient, seed: Seed) -> None:
    hostile = [
        '=HYPERLINK("http://x","y")',
        "+1+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1)",
        "\t=1",
        "\r=1",
        *DISGUISED,
    ]
    with seed.app.sessions.begin() as session:
        session.scalars(select(Agent).where(Agent.code == "A01")).one().code = "=1+1"
        first = session.scalars(select(Flag).order_by(Flag.id)).first()
        assert first is not None
        columns = [c.key for c in Flag.__table__.columns if c.key != "id"]
        for offset, text in enumerate(hostile):
            clone = Flag(**{key: getattr(first, key) for key in columns})
            clone.evidence, clone.start_s = text, first.start_s + 1000 + offset
            session.add(clone)
        first.category = "@cat"
    login(client, "qa1")
    for url in ("/qa/flags.csv", "/qa/report.csv"):
        text = client.get(url).text.lstrip("\ufeff")
        cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
        bad = [cell for cell in cells if _formula_like(cell)]
        assert not bad, (url, bad)
        assert "'=1+1" in cells, url
    flags_csv = client.get("/qa/flags.csv").text
    assert "'@SUM(1)" in flags_csv and "'-2+3" in flags_csv
    assert all(f"'{text}" in flags_csv for text in ("＝1+1", " =1+1", "\u3000=1+1"))
    assert "'@cat" in client.get("/qa/report.csv").text


def test_extends_names_a_profile_never_a_file(
    client: TestClient, seed: Seed, tmp_path: Path
) -> None:
    shipped = Path(__file__).parent.parent / "config/policy/cn-default.toml"
    canary = tmp_path / "canary.toml"
    canary.write_text('id = "canary"\nversion = "1"\n', encoding="utf-8")
    token = login(client, "admin1")
    text = shipped.read_text(encoding="utf-8")
    parent_line = 'extends = "cn-cba-2026"'  # the shipped default's parent
    assert parent_line in text
    for parent in (
        "/etc/passwd",
        str(canary),
        "../cn-law",
        "../../../etc/passwd",
        "cn-law.toml",
        "CN-LAW",
        "cn-law/../cn-law",
        "",
        " cn-law",
    ):
        content = text.replace(parent_line, f"extends = {parent!r}".replace("'", '"'))
        reply = client.post(
            "/admin/files/policy/cn-default", data={"content": content, "csrf": token}
        )
        assert reply.status_code == 422, parent
        assert "extends" in reply.text and "root:" not in reply.text, parent
    assert not (seed.app.paths.admin_dir("policy") / "cn-default.toml").exists()
    child = tmp_path / "child.toml"
    child.write_text(f'id = "child"\nversion = "1"\nextends = "{canary}"\n', encoding="utf-8")
    with pytest.raises(ProfileError, match="extends"):
        load_profile(child)


def _note(seed: Seed, token: str, **fields: str) -> dict[str, object]:
    return {
        "attempt_id": seed.attempts["cw07"],
        "outcome": "promise_to_pay",
        "text": "答应还款",
        "promised_amount": "100.00",
        "promised_date": "2026-12-20",
        "csrf": token,
        **fields,
    }


def test_absurd_amounts_and_dates_in_a_note_are_refused(client: TestClient, seed: Seed) -> None:
    token = login(client, "agent1")
    amounts = [
        "NaN",
        "inf",
        "-Infinity",
        "1e308",
        "-5",
        "0",
        "1e-9",
        "0.001",
        "１００",
        "0x10",
        "99999999999999999999",
        "1_000",
        "sNaN",
    ]
    for amount in amounts:
        reply = client.post("/agent/notes", data=_note(seed, token, promised_amount=amount))
        assert 400 <= reply.status_code < 500 and "承诺金额" in reply.text, amount
    for day in ("0001-01-01", "9999-12-31", "2020-01-01"):
        reply = client.post("/agent/notes", data=_note(seed, token, promised_date=day))
        assert 400 <= reply.status_code < 500 and "承诺日期" in reply.text, day
    assert _count(seed, CollectionNote) == 0
    ok = client.post("/agent/notes", data=_note(seed, token))
    assert ok.status_code == 303 and _count(seed, CollectionNote) == 1


def test_dates_at_the_ends_of_the_calendar_are_4xx(client: TestClient, seed: Seed) -> None:
    login(client, "qa1")
    for url in ("/qa", "/qa/report", "/qa/flags.csv", "/qa/report.csv"):
        for key, day in (
            ("from", "0001-01-01"),
            ("to", "9999-12-31"),
            ("from", "9999-12-31"),
            ("to", "0001-01-01"),
        ):
            reply = client.get(url, params={key: day})
            assert reply.status_code == 400 and day in reply.text, (url, key, day)
    for severity in ("\u00b2", "0", "6", "1e0", "-1"):
        reply = client.get("/qa", params={"severity": severity})
        assert reply.status_code == 400 and "严重度" in reply.text, severity
    admin = console_client(seed.app, FakeDialer(seed.app))
    login(admin, "admin1")
    for at in ("0001-01-01 00:00", "9999-12-31 23:59", "0001-01-01T00:00+14:00"):
        reply = admin.get("/admin/preview", params={"at": at})
        assert reply.status_code == 400 and "--at" not in reply.text, at


def test_ids_past_64_bits_are_4xx_and_write_nothing(seed: Seed) -> None:
    probes = {
        "qa1": [
            ("GET", f"/qa/calls/{HUGE}", None),
            ("GET", f"/qa/calls/{JUST_PAST}", None),
            ("GET", f"/recordings/{HUGE}/audio", None),
            ("GET", f"/recordings/{JUST_PAST}/download", None),
            ("POST", f"/qa/flags/{JUST_PAST}/verdict", {"verdict": "penalty"}),
            ("POST", f"/qa/calls/{HUGE}/unmask", {}),
            ("POST", f"/qa/calls/{JUST_PAST}/spot-check", {"result": "compliant"}),
        ],
        "admin1": [
            ("POST", f"/admin/users/{JUST_PAST}/password", {"password": "long-enough-9"}),
            ("POST", f"/admin/users/{HUGE}/active", {"active": "false"}),
            ("POST", f"/admin/holds/{JUST_PAST}/clear", {"note": "x"}),
            ("GET", f"/admin/files/policy/cn-default/versions/{JUST_PAST}", None),
            ("GET", f"/admin/files/policy/cn-default/versions/1?against={HUGE}", None),
            ("POST", f"/admin/files/policy/cn-default/versions/{JUST_PAST}/restore", {}),
        ],
        "agent1": [
            ("GET", f"/agent/cases/{JUST_PAST}", None),
            ("POST", "/agent/dial", {"phone_number_id": JUST_PAST, "case_id": "1"}),
            ("POST", "/agent/dial", {"phone_number_id": "1", "case_id": HUGE}),
            ("POST", "/agent/notes", {"attempt_id": JUST_PAST, "outcome": "refused", "text": "x"}),
        ],
    }
    before = _count(seed, AuditLog, AuditLog.action != "login.check")
    for user, requests in probes.items():
        client = console_client(seed.app, FakeDialer(seed.app))
        token = login(client, user)
        for method, url, data in requests:
            form = None if data is None else {**data, "csrf": token}
            reply = client.request(method, url, data=form)
            assert 400 <= reply.status_code < 500, (user, method, url, reply.status_code)
    assert _count(seed, AuditLog, AuditLog.action != "login.check") == before + len(
        probes
    )  # the logins only
    assert _count(seed, CollectionNote) == 0 and _count(seed, ReviewVerdict) == 0


def test_nul_and_invalid_utf8_in_form_fields_are_4xx_and_write_nothing(
    client: TestClient, seed: Seed
) -> None:
    form_type = {"content-type": "application/x-www-form-urlencoded"}
    before = _count(seed, AuditLog, AuditLog.action != "login.check")
    fresh = console_client(seed.app, FakeDialer(seed.app))
    token = CSRF.search(fresh.get("/login").text).group(1)  # type: ignore[union-attr]
    for raw in (
        b"username=qa%00x&password=x",
        b"username=%ff%fe&password=x",
        b"username=\xff&password=x",
        b"username=qa1&password=%c3%28",
    ):
        reply = fresh.post("/login", content=raw + f"&csrf={token}".encode(), headers=form_type)
        assert reply.status_code == 400 and "UTF-8" in reply.text, raw
        assert "content-security-policy" in reply.headers
    assert _count(seed, AuditLog, AuditLog.action != "login.check") == before
    qa_token = login(client, "qa1")
    with seed.app.sessions() as session:
        flag = session.scalars(select(Flag.id)).first()
    verdicts = [{"verdict": "penalty", "note": "a\x00b"}, {"verdict": "penal\x00ty"}]
    for data in verdicts:
        reply = client.post(f"/qa/flags/{flag}/verdict", data={**data, "csrf": qa_token})
        assert reply.status_code == 400, data
    for params in ({"category": "threat\x00"}, {"agent": "A\x0001"}, {"from": "2026-12-01\x00"}):
        assert client.get("/qa", params=params).status_code == 400, params
    assert client.get("/qa?category=%ff").status_code == 400
    assert _count(seed, ReviewVerdict) == 0
    admin = console_client(seed.app, FakeDialer(seed.app))
    admin_token = login(admin, "admin1")
    dnc = admin.post(
        "/admin/dnc", data={"number": "13812348000", "reason": "x\x00", "csrf": admin_token}
    )
    assert dnc.status_code == 400
    saved = admin.post(
        "/admin/files/lexicon/cn-default", data={"content": "\x00", "csrf": admin_token}
    )
    assert saved.status_code == 400
    multipart = admin.post(
        "/admin/dnc",
        files={"number": (None, "13812348000"), "reason": (None, "x\x00")},
        data={"csrf": admin_token},
    )
    assert multipart.status_code == 415
    assert _count(seed, AuditLog, AuditLog.action != "login.check") == before + 2  # the two logins
