"""Approved phrases must not trip the detector they are approved under. Pure.

Each phrase is said by the agent, alone on a call, to its situation's audience (``any``:
the debtor and a third party); any flag, and any line the detector would ask QA to listen
to, is a problem naming the situation and the phrase.
"""

from __future__ import annotations

from compliance.detector import CallContext, Detector, Utterance
from compliance.phrases.model import PhraseBook
from compliance.problems import at
from compliance.said import N_, Said

_CONTEXTS = {"debtor": ("debtor",), "third_party": ("family",), "any": ("debtor", "family")}
_HIT = N_("%(category)s（%(rule)s：%(matched)s）")
_FLAGGED = {
    "debtor": N_("对债务人说会被标记或送听：%(hits)s"),
    "family": N_("对第三方说会被标记或送听：%(hits)s"),
}


def tripped(book: PhraseBook, detector: Detector, source: str) -> list[Said]:
    """What the detector finds in ``book``'s phrases, one ``SOURCE: key: why`` line each."""
    problems = []
    for situation, spec in book.situations.items():
        for index, phrase in enumerate(spec.phrases):
            for contact in _CONTEXTS[spec.audience]:
                found = detector.detect(
                    [Utterance("agent", 0.0, 1.0, phrase)], CallContext(contact)
                )
                hits = [_hit(detector, f.category, f.rule_id, f.matched) for f in found.flags]
                hits += [_hit(detector, r.category, r.rule_id, r.matched) for r in found.review]
                if hits:
                    what = Said(_FLAGGED[contact], {"hits": tuple(hits)})
                    problems.append(at(f"{source}: situations.{situation}.phrases[{index}]", what))
    return problems


def _hit(detector: Detector, category: str, rule_id: str, matched: str) -> Said:
    """A category by its title in the lexicon (a catalog message where the console names it
    too), the rule and the words it matched."""
    spec = detector.lexicon.categories.get(category)
    title = Said(spec.title) if spec else category
    return Said(_HIT, {"category": title, "rule": rule_id, "matched": matched})
