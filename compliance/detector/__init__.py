"""What in a transcript breaks which rule, and what the called party asked for (pure)."""

from compliance.detector.detect import Detector
from compliance.detector.findings import (
    DETECTOR_VERSION,
    CallContext,
    Detection,
    Flag,
    Review,
    Speaker,
    Suppressed,
    Utterance,
)

__all__ = [
    "DETECTOR_VERSION",
    "CallContext",
    "Detection",
    "Detector",
    "Flag",
    "Review",
    "Speaker",
    "Suppressed",
    "Utterance",
]
