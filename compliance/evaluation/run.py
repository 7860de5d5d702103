"""Run a predictor over a labelled set and score it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from compliance.detector import Flag
from compliance.evaluation.labelled import LabelledCall
from compliance.evaluation.score import Report, Span, score


@dataclass(frozen=True)
class Prediction:
    """One predicted flag, as ``--predictions`` writes it (one JSON line each)."""

    call_id: str
    category: str
    speaker: str
    start: float
    end: float
    text: str

    def as_json(self) -> dict[str, object]:
        return {
            "call_id": self.call_id,
            "category": self.category,
            "speaker": self.speaker,
            "start": self.start,
            "end": self.end,
            "text": self.text,
        }


Predictor = Callable[[LabelledCall], Sequence[Flag]]


@dataclass(frozen=True)
class Evaluation:
    report: Report
    predictions: tuple[Prediction, ...]


def evaluate(
    calls: Iterable[LabelledCall], predict: Predictor, categories: Iterable[str]
) -> Evaluation:
    predictions: list[Prediction] = []
    labels: list[Span] = []
    for call in calls:
        labels.extend(Span(call.call_id, x.category, x.start, x.end) for x in call.labels)
        predictions.extend(
            Prediction(call.call_id, f.category, f.speaker, f.start, f.end, f.evidence)
            for f in predict(call)
        )
    spans = [Span(p.call_id, p.category, p.start, p.end) for p in predictions]
    return Evaluation(score(spans, labels, categories), tuple(predictions))
