"""Character error rate: what the ASR heard against the labelled transcript.

Compared per speaker channel (the agent's words with the agent's, the called
party's with the called party's), after normalising: NFKC (full-width letters
and digits become ASCII), lower case, and only letters and digits kept, so
punctuation and spaces, which the ASR places as it likes, cost nothing.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from compliance.detector import Utterance


def normalise(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", text).lower() if c.isalnum())


def edit_distance(reference: str, hypothesis: str) -> int:
    """Levenshtein distance (substitutions, insertions, deletions cost 1 each)."""
    row = list(range(len(hypothesis) + 1))
    for i, r in enumerate(reference, start=1):
        diagonal, row[0] = row[0], i
        for j, h in enumerate(hypothesis, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (r != h))
    return row[-1]


@dataclass
class CharErrors:
    """Edits and reference characters, summed over calls: CER = edits / reference."""

    edits: int = 0
    reference: int = 0

    @property
    def rate(self) -> float:
        return self.edits / self.reference if self.reference else 0.0

    def add(self, reference: str, hypothesis: str) -> None:
        ref, hyp = normalise(reference), normalise(hypothesis)
        self.edits += edit_distance(ref, hyp)
        self.reference += len(ref)

    def as_json(self) -> dict[str, float | int]:
        return {"cer": round(self.rate, 4), "edits": self.edits, "reference_chars": self.reference}


@dataclass
class CerReport:
    overall: CharErrors
    per_speaker: dict[str, CharErrors]

    def as_json(self) -> dict[str, object]:
        return {
            **self.overall.as_json(),
            "per_speaker": {k: v.as_json() for k, v in sorted(self.per_speaker.items())},
        }


def cer_report(calls: Iterable[tuple[Iterable[Utterance], Iterable[Utterance]]]) -> CerReport:
    """(labelled transcript, ASR utterances) per call, compared speaker by speaker.

    When either side has no speaker separation (a mono file: every utterance
    ``unknown``), that call is compared as one text, under ``unknown``.
    """
    report = CerReport(CharErrors(), {})
    for reference, heard in calls:
        ref, hyp = list(reference), list(heard)
        speakers = {u.speaker for u in ref} | {u.speaker for u in hyp}
        pairs = (
            [("unknown", _text(ref, None), _text(hyp, None))]
            if "unknown" in speakers
            else [(s, _text(ref, s), _text(hyp, s)) for s in sorted(speakers)]
        )
        for speaker, said, heard_text in pairs:
            report.overall.add(said, heard_text)
            report.per_speaker.setdefault(speaker, CharErrors()).add(said, heard_text)
    return report


def _text(utterances: list[Utterance], speaker: str | None) -> str:
    chosen = [u for u in utterances if speaker is None or u.speaker == speaker]
    return "".join(u.text for u in sorted(chosen, key=lambda u: u.start))
