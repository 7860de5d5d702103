"""The detector's second voice: a linear model over what an utterance says and how it sounds.

Pure: no clock, no I/O. The lexicon's rules are precise but only know the wordings
someone wrote down; agents say the same thing in endless other words, and Whisper
writes what it heard, not what was meant. This model scores an utterance per
category from three spellings of its character n-grams:

- ``t``: the characters themselves (您 folded to 你, as the rules see them);
- ``p``: their toneless pinyin, so 做牢 and 坐牢 are one feature;
- ``k``: their coarse sound (initial and final confusion classes, see
  :mod:`compliance.detector.confusion`), so 检免 and 减免, 分析 and 分期 meet.

The weights are data (``NAME.model.json`` beside the lexicon), trained offline from
labelled call scripts by ``scripts/train_detector_model.py``; scoring is a sum of
the weights of the n-grams present and a logistic, so every flag can name the words
that weighed most.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from pypinyin.pinyin_dict import pinyin_dict

from compliance.detector.confusion import coarse_key
from compliance.detector.sound import CLAUSE_BREAKS, is_han, normalise, toneless
from compliance.lexicon.trained import CategoryModel, ClassifierModel

ORDERS = (2, 3)
"""n-gram lengths taken from each spelling."""
_BREAK = "|"


@dataclass(frozen=True)
class Score:
    category: str
    probability: float
    start: int
    end: int
    """The characters (in the utterance's text) that weighed most: the clause they lie in."""
    words: tuple[str, ...]
    """The n-grams that weighed most, strongest first (for QA: why the model fired)."""
    strongest: tuple[int, int] = (0, 0)
    """Where the n-gram that weighed most lies: what a clearing context is measured from."""


def features(text: str) -> dict[str, tuple[int, int]]:
    """Every n-gram feature of ``text`` and where it first occurs ([start, end) in ``text``)."""
    tokens = [_tokens(char) for char in normalise(text)]
    found: dict[str, tuple[int, int]] = {}
    for spelling, prefix in enumerate("tpk"):
        column = [token[spelling] for token in tokens]
        for order in ORDERS:
            for start in range(len(column) - order + 1):
                gram = column[start : start + order]
                if _BREAK in gram:
                    continue
                key = prefix + ("" if prefix == "t" else " ").join(gram)
                if key not in found:
                    found[key] = (start, start + order)
    return found


def weigh(model: ClassifierModel, text: str, allowed: Iterable[str]) -> list[Score]:
    """The categories in ``allowed`` that ``text`` reaches the review threshold of, by score."""
    totals = {name: model.categories[name].bias for name in allowed if name in model.categories}
    if not totals:
        return []
    found = features(text)
    present: dict[str, list[tuple[float, str]]] = {name: [] for name in totals}
    for key in found:
        for name, weight in model.by_feature.get(key, ()):
            if name in totals:
                totals[name] += weight
                present[name].append((weight, key))
    kept = [
        _scored(name, total, text, found, present[name])
        for name, total in totals.items()
        if _logistic(total) >= model.categories[name].review_at
    ]
    return sorted(kept, key=lambda s: (-s.probability, s.category))


def score(
    model: CategoryModel, category: str, text: str, found: dict[str, tuple[int, int]]
) -> Score:
    """How likely ``text`` (whose :func:`features` are ``found``) belongs to ``category``."""
    present = [(model.weights[key], key) for key in found if key in model.weights]
    total = model.bias + sum(weight for weight, _ in present)
    return _scored(category, total, text, found, present)


def _scored(
    category: str,
    total: float,
    text: str,
    found: dict[str, tuple[int, int]],
    present: list[tuple[float, str]],
) -> Score:
    present.sort(reverse=True)
    spans = [found[key] for weight, key in present[:3] if weight > 0]
    start, end = _evidence(text, spans)
    words = tuple(key[1:] for weight, key in present[:3] if weight > 0)
    return Score(category, _logistic(total), start, end, words, spans[0] if spans else (0, 0))


def _evidence(text: str, spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The clause holding the strongest n-gram (the whole text when none weighed for)."""
    if not spans:
        return 0, len(text)
    at = spans[0][0]
    start = max((i + 1 for i, c in enumerate(text[:at]) if c in CLAUSE_BREAKS), default=0)
    end = next((i for i in range(spans[0][1], len(text)) if text[i] in CLAUSE_BREAKS), len(text))
    return start, end


def _logistic(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


@cache
def _tokens(char: str) -> tuple[str, str, str]:
    if char in CLAUSE_BREAKS or char.isspace():
        return _BREAK, _BREAK, _BREAK
    syllable = _syllables().get(char) if is_han(char) else None
    if syllable is None:
        return char, char, char
    return char, syllable, "~" + coarse_key(syllable)


@cache
def _syllables() -> dict[str, str]:
    """Han character → its first (most common) toneless reading, as the rules spell it."""
    table: dict[str, str] = {}
    for code, readings in pinyin_dict.items():
        syllable = toneless(readings.split(",")[0])
        if syllable and is_han(chr(code)):
            table[chr(code)] = syllable
    return table
