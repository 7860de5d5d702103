"""The detector model's weights as typed data, and reading them from JSON (``NAME.model.json``).

Pure: bytes in, a validated model or a :class:`~compliance.errors.LexiconError` naming the
file and key out. Scoring lives in :mod:`compliance.detector.classifier`; training in
:mod:`compliance.evaluation.train`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.errors import LexiconError

MODEL_FORMAT = 1


@dataclass(frozen=True)
class CategoryModel:
    bias: float
    weights: Mapping[str, float]
    """n-gram feature (see classifier.features) → weight; absent features weigh nothing."""
    flag_at: float
    """Probability from which an utterance is flagged."""
    review_at: float
    """Probability from which an utterance no rule flagged is listed for QA to listen to."""


@dataclass(frozen=True)
class ClassifierModel:
    version: str
    categories: Mapping[str, CategoryModel]
    by_feature: Mapping[str, tuple[tuple[str, float], ...]] = field(
        init=False, repr=False, compare=False
    )
    """The weights turned around (feature → its categories' weights), so scoring a line reads
    each of its n-grams once, not once per category."""

    def __post_init__(self) -> None:
        inverted: dict[str, list[tuple[str, float]]] = {}
        for name, spec in sorted(self.categories.items()):
            for key, weight in spec.weights.items():
                inverted.setdefault(key, []).append((name, weight))
        turned = {key: tuple(pairs) for key, pairs in inverted.items()}
        object.__setattr__(self, "by_feature", turned)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": self.version,
            "categories": {
                name: {
                    "bias": spec.bias,
                    "flag_at": spec.flag_at,
                    "review_at": spec.review_at,
                    "weights": dict(sorted(spec.weights.items())),
                }
                for name, spec in sorted(self.categories.items())
            },
        }


def parse_model(where: str, raw: bytes) -> ClassifierModel:
    """Validate a model file; every problem names ``where`` and the key."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LexiconError([f"{where}: not JSON text: {exc}"]) from exc
    problems: list[str] = []
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise LexiconError([f"{where}: format: expected {MODEL_FORMAT}"])
    version = data.get("version")
    if not isinstance(version, str) or not version:
        problems.append(f"{where}: version: a non-empty string is required")
    categories: dict[str, CategoryModel] = {}
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, dict):
        raise LexiconError([*problems, f"{where}: categories: an object is required"])
    for name, spec in raw_categories.items():
        parsed = _category(f"{where}: categories.{name}", spec, problems)
        if parsed is not None:
            categories[name] = parsed
    if problems:
        raise LexiconError(problems)
    return ClassifierModel(str(version), categories)


def _category(where: str, spec: Any, problems: list[str]) -> CategoryModel | None:
    if not isinstance(spec, dict):
        problems.append(f"{where}: an object is required")
        return None
    numbers: dict[str, float] = {}
    for key in ("bias", "flag_at", "review_at"):
        value = spec.get(key)
        if not isinstance(value, int | float) or not _finite(value):
            problems.append(f"{where}.{key}: a number is required")
            return None
        numbers[key] = float(value)
    if not 0 < numbers["review_at"] <= numbers["flag_at"] < 1:
        problems.append(f"{where}: 0 < review_at <= flag_at < 1 is required")
        return None
    weights = spec.get("weights")
    if not isinstance(weights, dict) or not all(_finite(w) for w in weights.values()):
        problems.append(f"{where}.weights: an object of numbers is required")
        return None
    return CategoryModel(
        numbers["bias"],
        {str(k): float(v) for k, v in weights.items()},
        numbers["flag_at"],
        numbers["review_at"],
    )


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
