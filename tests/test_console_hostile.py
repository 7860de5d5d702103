"""The console under hostile requests: ranges, CSRF, CSV formulas, `extends`, edge values.

Each probe must end in a clear 4xx (or a normal page), never a 500, and write nothing it
should not; every response that carries recording bytes is in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from compliance.errors import ProfileError
from compliance.policy import load_profile
from store.models import AuditLog, Recording
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
        whole = Path(session.get_one(Recording, rec).path).read_bytes()
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
    size = Path(_path(seed, rec)).stat().st_size
    for header in (f"bytes={size}-", "bytes=-0", f"bytes={'9' * 30}-", f"bytes={size}-{size}"):
        reply = client.get(f"/recordings/{rec}/audio", headers={"Range": header})
        assert reply.status_code == 416, header
        assert reply.headers["content-range"] == f"bytes */{size}", header
        assert b"RIFF" not in reply.content


def _path(seed: Seed, rec: int) -> str:
    with seed.app.sessions() as session:
        return session.get_one(Recording, rec).path


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


def test_extends_names_a_profile_never_a_file(
    client: TestClient, seed: Seed, tmp_path: Path
) -> None:
    shipped = Path(__file__).parent.parent / "config/policy/cn-default.toml"
    canary = tmp_path / "canary.toml"
    canary.write_text('id = "canary"\nversion = "1"\n', encoding="utf-8")
    token = login(client, "admin1")
    text = shipped.read_text(encoding="utf-8")
    assert 'extends = "cn-law"' in text
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
        content = text.replace('extends = "cn-law"', f"extends = {parent!r}".replace("'", '"'))
        reply = client.post(
            "/admin/files/policy/cn-default", data={"content": content, "csrf": token}
        )
        assert reply.status_code == 422, parent
        assert "extends" in reply.text and "root:" not in reply.text, parent
    assert not (seed.app.settings.paths.var_dir / "policy" / "cn-default.toml").exists()
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
