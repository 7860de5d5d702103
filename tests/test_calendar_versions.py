"""A year's calendar is versioned like a profile (issue 19 item 4): its versions listed, an
earlier one put back (checked again, kept as the next version, audit-logged, in force), and
the admins' year taken out of force with its versions kept; on the command line, on SQLite
and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from store.db import SessionFactory
from store.models import AuditLog, ConfigVersion
from tests.test_calendar import MADE_UP_2027, year_file
from tests.test_cli import run
from tests.test_scheduler import sample_db  # noqa: F401 (a fixture)

JANUARY = ["schedule", "preview", "--at", "2027-01-02 10:00", "--json"]
WORKED = MADE_UP_2027.replace('last = "2027-01-03"', 'last = "2027-01-01"')  # 2 Jan worked


def _blocked_by_holiday(tmp_path: Path, db: str) -> bool:
    out = json.loads(run(JANUARY, tmp_path, db).stdout)
    return any("holiday" in str(b.get("rule", "")) for b in out["blocked"])


def test_a_year_is_restored_and_removed_like_a_profile(
    tmp_path: Path,
    sample_db: str,  # noqa: F811
    sessions: SessionFactory,
) -> None:
    db = sample_db
    first = run(["calendar", "add", str(year_file(tmp_path)), "--actor", "admin1"], tmp_path, db)
    assert first.returncode == 0, first.stderr
    second_file = year_file(tmp_path, WORKED, "2027b.toml")
    second = run(["calendar", "add", str(second_file), "--actor", "admin1"], tmp_path, db)
    assert second.returncode == 0, second.stderr
    assert not _blocked_by_holiday(tmp_path, db)  # v2: 2 January is a working day

    listed = run(["calendar", "versions", "cn-2027"], tmp_path, db)
    assert "cn-2027 v2" in listed.stdout and "cn-2027 v1" in listed.stdout
    back = run(["calendar", "restore", "cn-2027", "1", "--actor", "admin2"], tmp_path, db)
    assert back.returncode == 0, back.stderr
    assert "restored cn-2027 v1 as v3" in back.stdout and "2027-01-02" in back.stdout
    assert _blocked_by_holiday(tmp_path, db)  # v1 again: 2 January is a holiday
    again = run(["calendar", "restore", "cn-2027", "3"], tmp_path, db)
    assert "already the latest: nothing changed" in again.stdout
    missing = run(["calendar", "restore", "cn-2027", "9"], tmp_path, db)
    assert missing.returncode == 3 and "no version 9 (kept: [1, 2, 3])" in missing.stderr
    sneaky = run(["calendar", "remove", "../policy/cn-default", "--why", "x"], tmp_path, db)
    assert sneaky.returncode == 3 and "a year is named cn-YYYY" in sneaky.stderr

    removed = run(["calendar", "remove", "cn-2027", "--why", "wrong notice"], tmp_path, db)
    assert removed.returncode == 0 and "taken out of force" in removed.stdout
    # no calendar covers 2027 now: calls are blocked, and the reason says how to add it
    assert "callwarden calendar add FILE" in run(JANUARY, tmp_path, db).stdout
    assert "in force: none" in run(["calendar", "versions", "cn-2027"], tmp_path, db).stdout
    with sessions() as session:
        kept = session.scalars(select(ConfigVersion.note).where(ConfigVersion.name == "cn-2027"))
        assert list(kept) == ["", "", "恢复为第 1 版"]  # the CLI writes in the default language
        actions = session.scalars(
            select(AuditLog.action).where(AuditLog.object_id == "cn-2027").order_by(AuditLog.id)
        )
        assert list(actions) == ["calendar.add"] * 3 + ["calendar.remove"]
