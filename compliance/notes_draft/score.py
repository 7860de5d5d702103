"""Precision and recall of one drafted field (amount or day) against hand labels. Pure.

Per call: a drafted value equal to the label is a true positive; a drafted value that differs
is a false positive (and, where a label exists, a false negative too); no value where a label
exists is a false negative. A call with neither counts nowhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from compliance.evaluation.score import Counts


@dataclass
class FieldScore(Counts):
    """The detector's counts (precision and recall as there), plus how many calls had a label."""

    labelled: int = 0
    """Calls whose label has a value."""


def score_field(pairs: Iterable[tuple[Hashable | None, Hashable | None]]) -> FieldScore:
    """``pairs`` are (label, drafted) per call; None means no value."""
    tp = fp = fn = labelled = 0
    for label, drafted in pairs:
        labelled += label is not None
        if drafted is not None and drafted == label:
            tp += 1
            continue
        fp += drafted is not None
        fn += label is not None
    return FieldScore(tp, fp, fn, labelled)
