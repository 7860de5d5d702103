"""Evaluate the detector on a labelled set (``callwarden eval``)."""

from compliance.evaluation.baseline import KeywordBaseline
from compliance.evaluation.labelled import LabelledCall, read_labelled_set
from compliance.evaluation.run import Evaluation, Prediction, Predictor, evaluate
from compliance.evaluation.score import TOLERANCE_S, Counts, Report, Span, score

__all__ = [
    "TOLERANCE_S",
    "Counts",
    "Evaluation",
    "KeywordBaseline",
    "LabelledCall",
    "Prediction",
    "Predictor",
    "Report",
    "Span",
    "evaluate",
    "read_labelled_set",
    "score",
]
