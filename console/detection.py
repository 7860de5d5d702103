"""The detector as the transcription pipeline calls it. Pure: utterances in, flags out.

The pipeline (``transcriber.pipeline``) knows nothing of the detector's types: it
hands over what was heard and the callee's contact type, and stores the flags and
the weak matches it gets back. :func:`detect_with` is that adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from compliance.detector import CallContext, Detector, Review, Utterance
from compliance.lexicon import SEVERITY_RANK
from transcriber import TranscribedUtterance
from transcriber.pipeline import Detect, Found


@dataclass(frozen=True)
class ReviewFound:
    """A detector's weak match with what storing it needs and the detector does not say."""

    category: str
    rule_id: str
    severity: int
    speaker: str
    start: float
    end: float
    evidence: str
    char_start: int
    char_end: int
    cost: float
    detector_version: str

    @classmethod
    def of(cls, said: Review, severity: int, detector_version: str) -> ReviewFound:
        return cls(
            said.category,
            said.rule_id,
            severity,
            said.speaker,
            said.start,
            said.end,
            said.evidence,
            said.char_start,
            said.char_end,
            said.cost,
            detector_version,
        )


def detect_with(detector: Detector) -> Detect:
    """The pipeline's ``detect`` step, through ``detector`` (each rule's severity resolved once)."""
    lexicon = detector.lexicon
    severity = {
        rule.id: SEVERITY_RANK[rule.severity or lexicon.categories[rule.category].severity]
        for rule in lexicon.rules
    }

    def of_category(category: str) -> int:
        return SEVERITY_RANK[lexicon.categories[category].severity]

    def detect(utterances: Sequence[TranscribedUtterance], contact_type: str) -> Found:
        said = [Utterance(u.speaker, u.start, u.end, u.text) for u in utterances]
        found = detector.detect(said, CallContext(contact_type))
        review = [
            # the model's doubts name no lexicon rule (``model.threat``): the category's severity
            ReviewFound.of(r, severity.get(r.rule_id, of_category(r.category)), detector.version)
            for r in found.review
        ]
        return Found(found.flags, review)

    return detect
