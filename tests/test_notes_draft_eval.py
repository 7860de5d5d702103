"""The note drafter's promised amount and day on hand labels: the held-out test split's
transcripts and 30 written hostile calls (tests/fixtures/notes_draft/README.md)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(
    r"^(?P<set>test split|written)\s+(?P<field>amount|date)\s+labelled\s+(?P<n>\d+)\s+"
    r"tp\s+(?P<tp>\d+) fp\s+(?P<fp>\d+) fn\s+(?P<fn>\d+)\s+"
    r"precision (?P<p>[\d.]+)\s+recall (?P<r>[\d.]+)$"
)


def test_promised_amounts_and_days_on_the_labels() -> None:
    """Floors at the first blind run's figures (README of the fixtures): no false promise."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/notes_draft_eval.py")],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
    )
    assert "test split: 75 calls" in done.stdout and "written: 30 calls" in done.stdout
    scores = {
        (m["set"], m["field"]): m
        for m in (LINE.match(line) for line in done.stdout.splitlines())
        if m is not None
    }
    assert len(scores) == 4, done.stdout
    assert scores["test split", "date"]["n"] == "13" and scores["written", "amount"]["n"] == "20"
    for found in scores.values():
        assert float(found["p"]) >= 0.95, done.stdout  # a drafted promise is rarely wrong
    assert float(scores["test split", "date"]["r"]) >= 0.75, done.stdout
    assert float(scores["written", "amount"]["r"]) >= 0.8, done.stdout
    assert float(scores["written", "date"]["r"]) >= 0.85, done.stdout
