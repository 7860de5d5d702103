"""Approved phrases must not trip the detector they are approved under. Pure.

Each phrase is said by the agent, alone on a call, to its situation's audience (``any``:
the debtor and a third party); any flag, and any line the detector would ask QA to listen
to, is a problem naming the situation and the phrase.
"""

from __future__ import annotations

from compliance.detector import CallContext, Detector, Utterance
from compliance.phrases.model import PhraseBook

_CONTEXTS = {"debtor": ("debtor",), "third_party": ("family",), "any": ("debtor", "family")}
_HEARD_BY = {"debtor": "债务人", "family": "第三方"}


def tripped(book: PhraseBook, detector: Detector, source: str) -> list[str]:
    """What the detector finds in ``book``'s phrases, one ``SOURCE: key: why`` line each."""
    problems = []
    for situation, spec in book.situations.items():
        for index, phrase in enumerate(spec.phrases):
            for contact in _CONTEXTS[spec.audience]:
                found = detector.detect(
                    [Utterance("agent", 0.0, 1.0, phrase)], CallContext(contact)
                )
                said = [f"{f.category} ({f.rule_id}: {f.matched})" for f in found.flags]
                said += [
                    f"{r.category} to listen to ({r.rule_id}: {r.matched})" for r in found.review
                ]
                if said:
                    problems.append(
                        f"{source}: situations.{situation}.phrases[{index}]: said to the "
                        f"{_HEARD_BY[contact]} it is flagged: {'; '.join(said)}"
                    )
    return problems
