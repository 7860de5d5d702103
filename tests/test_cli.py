"""The ``callwarden`` command as a user runs it: exit codes, messages, masked output."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FIXTURES, SAMPLE_CASES
from tests.helpers import read_csv, write_csv


def run(
    args: list[str],
    cwd: Path,
    db_url: str | None = None,
    timeout: float = 120,
    stdin: str = "",
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALLWARDEN_")}
    if db_url:
        env["CALLWARDEN_DATABASE_URL"] = db_url
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        check=False,
    )


def test_init_creates_default_sqlite_and_is_repeatable(tmp_path: Path) -> None:
    first = run(["init"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "(empty) → " in first.stdout
    assert (tmp_path / "var" / "callwarden.db").is_file()
    second = run(["init"], tmp_path)
    assert second.returncode == 0 and "nothing to do" in second.stdout


def test_import_before_init_says_what_to_do(tmp_path: Path) -> None:
    result = run(["import", "cases", str(SAMPLE_CASES)], tmp_path)
    assert result.returncode == 4
    assert "run `callwarden init`" in result.stderr


def test_import_accepts_gbk_and_lists_masked(tmp_path: Path, db_url: str) -> None:
    # db_url is already migrated; init on it must be a no-op
    assert run(["init"], tmp_path, db_url).returncode == 0
    result = run(["import", "cases", str(FIXTURES / "cases_gbk.csv")], tmp_path, db_url)
    assert result.returncode == 0, result.stderr
    assert "imported 60 case row(s) (gb18030): 60 case(s) created" in result.stdout
    listing = run(["cases", "list", "--limit", "100"], tmp_path, db_url)
    assert listing.returncode == 0
    header, rows = read_csv(SAMPLE_CASES)
    for row in rows:
        assert row[header.index("mobile")] not in listing.stdout
        assert row[header.index("resident_id")] not in listing.stdout
    assert "60 of 60 case(s)" in listing.stdout


def test_rejected_file_prints_every_problem_and_exits_1(tmp_path: Path, db_url: str) -> None:
    header, rows = read_csv(SAMPLE_CASES)
    rows[0][header.index("mobile")] = "123"
    rows[1][header.index("amount_overdue")] = "-1"
    bad = write_csv(tmp_path / "bad.csv", header, rows)
    result = run(["import", "cases", str(bad)], tmp_path, db_url)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{bad}:2:mobile: not a valid phone number: '123'",
        f"{bad}:3:amount_overdue: must be ≥ 0, got -1",
        f"{bad}: rejected, 2 problem(s); nothing was imported",
    ]
    listing = run(["cases", "list"], tmp_path, db_url)
    assert "0 of 0 case(s)" in listing.stdout


def test_bad_config_exits_3_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "callwarden.toml").write_text("[database]\nurll = 'x'\n", encoding="utf-8")
    result = run(["init"], tmp_path)
    assert result.returncode == 3
    assert "callwarden.toml: database.urll: unknown key" in result.stderr


@pytest.mark.parametrize("args", [["import"], ["frobnicate"], ["import", "cases"]])
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    assert run(args, tmp_path).returncode == 2


def test_recordings_sweep_needs_a_spool(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    assert run(["recordings", "sweep"], tmp_path).returncode == 2
    spool = tmp_path / "spool"
    spool.mkdir()
    swept = run(["recordings", "sweep", "--spool", str(spool)], tmp_path)
    assert swept.returncode == 0 and "0 recording(s) swept" in swept.stdout


def test_import_payments_refuses_a_bad_file_then_takes_the_fixed_one(
    tmp_path: Path, db_url: str
) -> None:
    assert run(["import", "cases", str(SAMPLE_CASES)], tmp_path, db_url).returncode == 0
    header, rows = read_csv(SAMPLE_CASES)
    account = rows[0][header.index("account_no")]
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    columns = ["账号", "还款金额", "还款日期", "还款渠道"]
    bad = write_csv(tmp_path / "bad.csv", columns, [[account, "0", today, "网银"]])
    result = run(["import", "payments", str(bad), "--bank", "ICBC-CC"], tmp_path, db_url)
    assert result.returncode == 1
    assert f"{bad}:2:amount: must be more than 0, got 0" in result.stderr
    good = write_csv(tmp_path / "good.csv", columns, [[account, "100", today, "网银"]])
    result = run(["import", "payments", str(good), "--bank", "ICBC-CC"], tmp_path, db_url)
    assert result.returncode == 0, result.stderr
    assert "1 payment row(s) (utf-8): 1 added, 0 already imported" in result.stdout
    again = run(["import", "payments", str(good), "--bank", "ICBC-CC"], tmp_path, db_url)
    assert "0 added, 1 already imported" in again.stdout


def test_the_spool_readers_ask_for_a_folder_when_no_sandbox_runs(tmp_path: Path) -> None:
    assert run(["init"], tmp_path).returncode == 0
    for command in (["recordings", "sweep"], ["live"]):
        done = run(command, tmp_path)
        assert done.returncode == 2, (command, done.stderr)
        assert "give --spool DIR (no sandbox here)" in done.stderr
