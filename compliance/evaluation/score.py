"""Score predicted flags against labels, as the spec's Scoring section says.

A prediction is a true positive when its category equals a labelled one in the
same call and its span overlaps the label's span widened by the tolerance
(1.5 s); each label is matched at most once. Precision and recall of a
category with nothing to divide (no predictions, or no labels) are 1.0:
nothing was claimed wrongly, nothing was missed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

TOLERANCE_S = 1.5


@dataclass(frozen=True)
class Span:
    call_id: str
    category: str
    start: float
    end: float


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_json(self) -> dict[str, float | int]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
        }


@dataclass
class Report:
    overall: Counts = field(default_factory=Counts)
    per_category: dict[str, Counts] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "overall": self.overall.as_json(),
            "per_category": {k: c.as_json() for k, c in sorted(self.per_category.items())},
        }


def score(
    predicted: Iterable[Span],
    labelled: Iterable[Span],
    categories: Iterable[str] = (),
    tolerance: float = TOLERANCE_S,
) -> Report:
    """Count true/false positives and misses, per category and overall."""
    report = Report(per_category={category: Counts() for category in categories})
    labels = _grouped(labelled)
    predictions = _grouped(predicted)
    for key in sorted(set(labels) | set(predictions)):
        counts = report.per_category.setdefault(key[1], Counts())
        tp, fp, fn = _match(predictions.get(key, []), labels.get(key, []), tolerance)
        counts.tp += tp
        counts.fp += fp
        counts.fn += fn
    for counts in report.per_category.values():
        report.overall.tp += counts.tp
        report.overall.fp += counts.fp
        report.overall.fn += counts.fn
    return report


def _grouped(spans: Iterable[Span]) -> Mapping[tuple[str, str], list[Span]]:
    groups: dict[tuple[str, str], list[Span]] = {}
    for span in spans:
        groups.setdefault((span.call_id, span.category), []).append(span)
    return groups


def _match(predicted: list[Span], labels: list[Span], tolerance: float) -> tuple[int, int, int]:
    """Greedy in time order: each prediction takes the earliest free label it overlaps."""
    free = sorted(labels, key=lambda s: (s.start, s.end))
    tp = fp = 0
    for prediction in sorted(predicted, key=lambda s: (s.start, s.end)):
        hit = next(
            (
                label
                for label in free
                if prediction.start <= label.end + tolerance
                and prediction.end >= label.start - tolerance
            ),
            None,
        )
        if hit is None:
            fp += 1
        else:
            free.remove(hit)
            tp += 1
    return tp, fp, len(free)
