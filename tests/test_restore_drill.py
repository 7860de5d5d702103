"""Issue 21's restore drill, on both databases: run the demo (real calls through the embedded
Asterisk, recorded, transcribed, flagged), give QA verdicts, back up to both repositories,
lose the database and the archive, restore into service, and find every call, recording,
transcript, flag, verdict and audit row back and verified (``tests.restoring``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import load_settings
from console.app import App, build_app
from tests.conftest import ROOT
from tests.restoring import cli, restore_drill
from tests.test_cli import run

RESTIC = ROOT / "var" / "tools" / "restic"
pytestmark = [pytest.mark.asterisk, pytest.mark.model, pytest.mark.slow]


@pytest.fixture
def demo_day(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    """The demo's simulated day on ``db_url``, and the installation it left, as the backup
    commands read it from the environment."""
    if not RESTIC.is_file():
        pytest.fail(f"{RESTIC} is missing: run scripts/ensure-restic.sh (make services does)")
    demo = run(["demo", "--no-serve"], tmp_path, db_url=db_url, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    for name, value in {
        "CALLWARDEN_DATABASE_URL": db_url,
        "CALLWARDEN_PATHS_VAR_DIR": str(tmp_path / "var"),
        "CALLWARDEN_BACKUP_RESTIC": str(RESTIC),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CALLWARDEN_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    app = build_app(load_settings())
    yield app
    app.engine.dispose()


def test_the_demo_is_backed_up_lost_and_restored_into_service(
    demo_day: App, tmp_path: Path
) -> None:
    assert cli("backup", "init")[0] == 0
    out = restore_drill(demo_day, tmp_path / "restored")
    put_back = re.search(r"recordings: (\d+) file\(s\)", out)
    assert put_back and int(put_back.group(1)) > 0, out
