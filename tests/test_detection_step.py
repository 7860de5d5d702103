"""The pipeline's detect step (console.detection.detect_with) over what the detector found."""

from __future__ import annotations

from collections.abc import Sequence

from compliance.detector import CallContext, Detector, Review, Utterance
from compliance.detector.findings import Detection
from compliance.lexicon import SEVERITY_RANK, load_lexicon
from console.detection import detect_with
from transcriber import TranscribedUtterance

LEXICON = load_lexicon("cn-default")


class ModelDoubts(Detector):
    """The shipped detector, except that the model was unsure about one line: a review item
    whose rule is the model's (``model.threat``), not one of the lexicon's rules."""

    def detect(self, utterances: Sequence[Utterance], context: CallContext) -> Detection:
        unsure = Review("threat", "model.threat", "agent", 1.0, 3.0, "你等着", "", 0, 3, 0.0)
        return Detection((), (), (unsure,))


def test_a_line_the_model_was_unsure_about_is_listed_with_its_categorys_severity() -> None:
    """A model review item crashed the step (its rule id is in no lexicon rule: KeyError), so
    the recording's transcription failed; found by the held-out model m3's lower thresholds."""
    detect = detect_with(ModelDoubts(LEXICON))
    said = [TranscribedUtterance("agent", 1.0, 3.0, "你等着", -0.2)]
    (review,) = detect(said, "debtor").review
    assert review.rule_id == "model.threat"
    assert review.severity == SEVERITY_RANK[LEXICON.categories["threat"].severity]
