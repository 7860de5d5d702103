"""What the CLI prints never carries terminal controls, whatever is stored or named."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from store.db import make_engine
from store.models import Case, Person
from tests.conftest import SAMPLE_CASES
from tests.helpers import read_csv, write_csv
from tests.test_cli import run

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
