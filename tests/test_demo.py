"""``callwarden demo`` on the embedded default, twice in a row, as ``make demo`` runs it: real
calls through the embedded Asterisk, recordings, transcripts, flags and callee events."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.test_cli import run

pytestmark = [pytest.mark.asterisk, pytest.mark.model, pytest.mark.slow]
VIOLATIONS = {
    "cw07": "impersonation",
    "cw11": "threat",
    "cw15": "waiver_promise",
    "cw18": "insult",
    "cw21": "induce_borrowing",
    "cw24": "private_payment",
    "cw34": "complaint_tendency",
    "cw31": "do_not_call_request",
    "cw32": "do_not_call_request",
}
COMPLIANT = {"cw01", "cw02", "cw04", "cw30", "cw44"}
CALL_LINE = re.compile(r"^  (A0\d)\s+(\S+)\s+(\w+)\s+(\w+)\s+(\w+)\s+(.+)$", re.MULTILINE)


def check_summary(stdout: str) -> list[tuple[str, ...]]:
    placed = re.search(r"\[4/5\] (\d+) calls placed .*answered (\d+)", stdout)
    assert placed, stdout
    answered = int(placed.group(2))
    assert int(placed.group(1)) >= 20
    stored = re.search(r"\[5/5\] (\d+) recordings stored, (\d+) transcribed", stdout)
    assert stored and int(stored.group(1)) == int(stored.group(2)) == answered  # each answered
    calls = CALL_LINE.findall(stdout)
    assert len(calls) >= 20
    for _, _, contact, scenario, outcome, flags in calls:
        if outcome != "answered":
            assert flags.strip() == "-"
            continue
        if scenario in VIOLATIONS:
            assert VIOLATIONS[scenario] in flags, (scenario, flags)
        if scenario in COMPLIANT:
            assert flags.strip() == "-", (scenario, flags)
        if scenario in ("cw27", "cw28"):  # disclosure: told to a third party
            assert "third_party_disclosure" in flags and contact != "debtor"
    assert {c[3] for c in calls} >= {"busy", "no_answer", "unreachable"}
    return calls


def test_demo_runs_twice_end_to_end(tmp_path: Path) -> None:
    first = run(["demo", "--no-serve"], tmp_path, timeout=900)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "[2/5] imported 60 sample cases: 60 new" in first.stdout
    # the stolen / jailed / deceased cases (among the rules that block, most frequent first)
    assert re.search(r"blocked: [^\n]*law\.case_status", first.stdout), first.stdout
    calls = check_summary(first.stdout)
    assert any(c[3] == "cw34" and c[4] == "answered" for c in calls)
    holds = re.search(r"holds \(停催\) placed: (\d+)", first.stdout)
    assert holds and int(holds.group(1)) >= 1
    with sqlite3.connect(tmp_path / "var" / "callwarden.db") as db:
        on_hold = db.execute(
            "SELECT count(*) FROM hold h JOIN flag f ON f.id = h.source_flag_id "
            "WHERE f.category = 'complaint_tendency' AND h.cleared_at IS NULL"
        ).fetchone()
    assert on_hold == (int(holds.group(1)),)

    second = run(["demo", "--no-serve"], tmp_path, timeout=900)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "60 updated in place" in second.stdout and "0 new" in second.stdout
    check_summary(second.stdout)
    assert "law.hold" in second.stdout  # yesterday's complaint stops that case today
    with sqlite3.connect(tmp_path / "var" / "callwarden.db") as db:
        per_person_day = db.execute(
            "SELECT person_id, date(reserved_at), "
            "sum(status = 'answered'), sum(status IN ('busy', 'no_answer', 'failed')) "
            "FROM call_attempt WHERE direction = 'outbound' GROUP BY 1, 2"
        ).fetchall()
        in_flight = db.execute(
            "SELECT count(*) FROM call_attempt WHERE status IN ('reserved', 'originated')"
        ).fetchone()
    assert all(connected <= 3 and unanswered <= 5 for _, _, connected, unanswered in per_person_day)
    assert in_flight == (0,)
