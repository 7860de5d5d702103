"""Training the detector's model (:mod:`compliance.detector.classifier`) from labelled lines.

Pure computation (no I/O, no clock): examples in, weights out, the same weights for
the same examples (liblinear with a fixed seed, features in sorted order). scikit-learn
is a development dependency: only whoever retrains the model needs it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression

from compliance.detector import Utterance
from compliance.detector.classifier import features
from compliance.lexicon import CategorySpec
from compliance.lexicon.trained import CategoryModel, ClassifierModel

MIN_WEIGHT = 0.02
"""Weights smaller than this are dropped from the shipped model: they move no decision."""


@dataclass(frozen=True)
class Example:
    """One line of a labelled call."""

    speaker: str
    contact_type: str
    text: str
    labels: frozenset[str]


@dataclass(frozen=True)
class Settings:
    strength: float = 1.0
    """Inverse regularisation (scikit-learn's C): lower generalises more, fits less."""
    flag_at: float = 0.5
    review_at: float = 0.3
    flag_at_by_category: Mapping[str, float] = field(default_factory=dict)
    """Where a category's cross-fitted recall rose with no more false flags, its own threshold;
    its review_at is then at most 0.1 below it, so a line just short of it is still heard."""

    def thresholds(self, category: str) -> tuple[float, float]:
        """(flag_at, review_at) for ``category``."""
        flag_at = self.flag_at_by_category.get(category, self.flag_at)
        return flag_at, min(self.review_at, round(flag_at - 0.1, 2))


def eligible(spec: CategorySpec, speaker: str, contact_type: str) -> bool:
    """Whether a line by ``speaker`` on a call to ``contact_type`` can be in the category
    (the detector asks the same: a callee cannot threaten, the debtor is no third party)."""
    if speaker not in ("unknown", spec.speaker):
        return False
    return spec.contact == "any" or contact_type != "debtor"


def train(
    examples: Sequence[Example],
    categories: Mapping[str, CategorySpec],
    version: str,
    settings: Settings = Settings(),
) -> ClassifierModel:
    """One logistic regression per category, over the lines that category could be in."""
    found = [features(example.text) for example in examples]
    models: dict[str, CategoryModel] = {}
    for name, spec in sorted(categories.items()):
        rows = [i for i, e in enumerate(examples) if eligible(spec, e.speaker, e.contact_type)]
        targets = [name in examples[i].labels for i in rows]
        if not any(targets) or all(targets):
            continue  # nothing to learn from: the lexicon alone speaks for this category
        vocabulary = sorted({key for i in rows for key in found[i]})
        column = {key: j for j, key in enumerate(vocabulary)}
        matrix = _matrix([found[i] for i in rows], column)
        fitted = LogisticRegression(
            C=settings.strength, class_weight="balanced", solver="liblinear", random_state=0
        ).fit(matrix, targets)
        weights = {
            key: round(float(w), 4)
            for key, w in zip(vocabulary, fitted.coef_[0], strict=True)
            if abs(w) >= MIN_WEIGHT
        }
        flag_at, review_at = settings.thresholds(name)
        models[name] = CategoryModel(
            bias=round(float(fitted.intercept_[0]), 4),
            weights=weights,
            flag_at=flag_at,
            review_at=review_at,
        )
    return ClassifierModel(version=version, categories=models)


def heard_lines(lines: Sequence[Utterance], heard: Sequence[Utterance]) -> list[tuple[int, str]]:
    """Each script line (by index) with what the ASR heard of it, to train on what the
    detector will read: every heard utterance goes to the line of its speaker it overlaps
    most in time, and a line's pieces are joined in order. A heard utterance that overlaps
    no line of its speaker (the other side's echo, noise) teaches nothing and is dropped;
    so is a line nothing was heard of."""
    pieces: dict[int, list[str]] = {}
    for said in sorted(heard, key=lambda u: (u.start, u.end)):
        overlaps = [
            (min(line.end, said.end) - max(line.start, said.start), -i)
            for i, line in enumerate(lines)
            if line.speaker == said.speaker
        ]
        best = max(overlaps, default=(0.0, 0))
        if best[0] > 0 and said.text.strip():
            pieces.setdefault(-best[1], []).append(said.text.strip())
    return [(i, "".join(pieces[i])) for i in sorted(pieces)]


def _matrix(rows: Iterable[dict[str, tuple[int, int]]], column: dict[str, int]) -> object:
    indptr = [0]
    indices: list[int] = []
    for row in rows:
        indices.extend(sorted(column[key] for key in row if key in column))
        indptr.append(len(indices))
    data = [1.0] * len(indices)
    return csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(column)))
