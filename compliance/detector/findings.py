"""What the detector takes and gives: utterances and call context in, flags and reviews out.

Pure data; :mod:`compliance.detector.detect` makes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from compliance.detector.classifier import Score
from compliance.detector.index import MatchKind
from compliance.lexicon import SEVERITY_RANK, CategorySpec

DETECTOR_VERSION = "2"
"""2: the model (compliance.detector.classifier) speaks where no rule did."""
Speaker = Literal["agent", "callee", "unknown"]


@dataclass(frozen=True)
class Utterance:
    """A stretch of one speaker's speech; times in seconds from the start of the call."""

    speaker: Speaker
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class CallContext:
    contact_type: str
    """debtor | family | colleague | emergency | other | unknown."""


@dataclass(frozen=True)
class Flag:
    """One finding: a violation by the agent or an event from the called party."""

    category: str
    kind: Literal["violation", "event"]
    severity: int
    """1 low, 2 medium, 3 high."""
    speaker: Speaker
    start: float
    end: float
    """The utterance's span, in seconds from the start of the call."""
    evidence: str
    """The utterance's text."""
    matched: str
    """The characters that fired the rule."""
    char_start: int
    char_end: int
    rule_id: str
    match: MatchKind
    detector_version: str


@dataclass(frozen=True)
class Suppressed:
    """A hit that a clearing context turned off (for QA to see why nothing fired)."""

    category: str
    rule_id: str
    clear_id: str
    utterance: int
    matched: str


@dataclass(frozen=True)
class Review:
    """A weak sound match: one confusion past what flags, so not a flag and not counted as
    one, but worth a person listening to the utterance ("listen to this")."""

    category: str
    rule_id: str
    speaker: Speaker
    start: float
    end: float
    evidence: str
    matched: str
    char_start: int
    char_end: int
    cost: float
    """How far what was heard is from the rule's phrases (see detector.confusion)."""


@dataclass(frozen=True)
class Detection:
    flags: tuple[Flag, ...]
    suppressed: tuple[Suppressed, ...]
    review: tuple[Review, ...] = ()
    """At most one per utterance and category, and none where that category flagged."""


def model_flag(said: Score, utterance: Utterance, spec: CategorySpec, version: str) -> Flag:
    """A flag where the model (no rule) weighed the words; the span is the clause they lie in."""
    return Flag(
        kind=spec.kind,
        severity=SEVERITY_RANK[spec.severity],
        match="model",
        detector_version=version,
        **_model_fields(said, utterance),
    )


def model_review(said: Score, utterance: Utterance) -> Review:
    """A line the model leant towards, not far enough to flag: for a person to listen to."""
    return Review(cost=round(1 - said.probability, 3), **_model_fields(said, utterance))


def _model_fields(said: Score, utterance: Utterance) -> dict[str, Any]:
    """What a model flag and a model review share: the line, and the clause that weighed most."""
    return {
        "category": said.category,
        "rule_id": f"model.{said.category}",
        "speaker": utterance.speaker,
        "start": utterance.start,
        "end": utterance.end,
        "evidence": utterance.text,
        "matched": utterance.text[said.start : said.end],
        "char_start": said.start,
        "char_end": said.end,
    }
