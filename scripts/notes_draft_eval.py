"""Score the note drafts' promised amount and day on the hand labels (issue 22, item 3).

    PYTHONPATH=. python scripts/notes_draft_eval.py [--misses]

Reads tests/fixtures/notes_draft/ (labels) and tests/fixtures/eval/test/ (the held-out
split's transcripts, as text), drafts each call as on the labels' reference date at 10:00,
and prints precision and recall per field and per set.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from compliance.detector.findings import Utterance
from compliance.evaluation.labelled import read_labelled_set
from compliance.notes_draft import draft_note
from compliance.notes_draft.score import FieldScore, score_field

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "fixtures" / "notes_draft"
TEST_SPLIT = ROOT / "tests" / "fixtures" / "eval" / "test"


@dataclass(frozen=True)
class Item:
    set_name: str
    call_id: str
    amount: tuple[int | None, int | None]
    """(label, drafted)."""
    day: tuple[date | None, date | None]


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _items(
    set_name: str, calls: list[tuple[str, str, list[Utterance], dict[str, object]]], now: datetime
) -> list[Item]:
    items = []
    for call_id, contact, utterances, label in calls:
        draft = draft_note(utterances, contact, now)
        amount = label.get("amount_cents")
        items.append(
            Item(
                set_name,
                call_id,
                (amount if isinstance(amount, int) else None, draft.promised_amount_cents),
                (_day(label.get("date")), draft.promised_date),  # type: ignore[arg-type]
            )
        )
    return items


def test_split_items() -> list[Item]:
    spec = json.loads((LABELS / "eval-test-promises.json").read_text(encoding="utf-8"))
    now = datetime.combine(date.fromisoformat(spec["reference_date"]), time(10))
    calls: list[tuple[str, str, list[Utterance], dict[str, object]]] = []
    for call in read_labelled_set(TEST_SPLIT):
        lines = [Utterance(t.speaker, t.start, t.end, t.text) for t in call.spec.transcript]
        label = spec["labels"].get(call.spec.call_id, {})
        calls.append((call.spec.call_id, call.spec.contact_type, lines, label))
    return _items("test split", calls, now)


def written_items() -> list[Item]:
    spec = json.loads((LABELS / "written.json").read_text(encoding="utf-8"))
    now = datetime.combine(date.fromisoformat(spec["reference_date"]), time(10))
    calls = []
    for call in spec["calls"]:
        lines = [Utterance(who, 0.0, 0.0, text) for who, text in call["lines"]]
        calls.append((call["id"], call["contact_type"], lines, call))
    return _items("written", calls, now)


def scores(items: list[Item]) -> tuple[FieldScore, FieldScore]:
    return score_field(i.amount for i in items), score_field(i.day for i in items)


def _line(name: str, field: str, s: FieldScore) -> str:
    return (
        f"{name:11} {field:6} labelled {s.labelled:2}  tp {s.tp:2} fp {s.fp:2} fn {s.fn:2}  "
        f"precision {s.precision:.2f}  recall {s.recall:.2f}"
    )


def main(argv: list[str]) -> int:
    sets = {"test split": test_split_items(), "written": written_items()}
    for name, items in sets.items():
        amount, day = scores(items)
        print(f"{name}: {len(items)} calls")
        print(_line(name, "amount", amount))
        print(_line(name, "date", day))
        if "--misses" in argv:
            for i in items:
                if i.amount[0] != i.amount[1] or i.day[0] != i.day[1]:
                    print(f"  {i.call_id}: amount {i.amount}  date {i.day}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
