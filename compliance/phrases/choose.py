"""Which situations of the phrases panel a case calls for, and why. Pure: facts in, choices out.

The store reads a case's facts (:mod:`store.wording_facts`); this module decides:

- ``third_party``: the number about to be dialled (or just dialled) is not the debtor's,
  or the case has numbers of people other than the debtor;
- ``complaint_channel``: a complaint on the case, open or resolved, or a note that
  recorded a complaint tendency;
- ``lawful_consequences``: the debtor refused to pay (a note said so), or a promise to pay
  was broken;
- any situation with ``cues``: one of its words in an earlier note of the case or in what
  the called party said on one of its calls (a debtor asking for a waiver: 减免, 免息 …).

Each choice carries its reasons as catalog messages (Chinese ids), newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from compliance.said import N_
from compliance.said import Said as Reason

if TYPE_CHECKING:
    from compliance.phrases.model import PhraseBook

WAIVER = "waiver_request"
THIRD_PARTY = "third_party"
LAWFUL = "lawful_consequences"
COMPLAINT = "complaint_channel"
REQUIRED = (WAIVER, THIRD_PARTY, LAWFUL, COMPLAINT)
"""The situations chosen from a case's facts: every phrases file must have them."""
MAX_CUE_REASONS = 2


@dataclass(frozen=True)
class Said:
    """Words on the case: a note's text, or one line the called party said on a call."""

    source: Literal["note", "call"]
    day: date
    """The day on the centre's calendar."""
    text: str


@dataclass(frozen=True)
class ComplaintSeen:
    day: date
    source: Literal["register", "note"]
    """``register``: the complaint register (投诉); ``note``: a note's outcome said so."""
    open: bool = False


@dataclass(frozen=True)
class CaseFacts:
    """What the panel needs to know of one case."""

    third_parties: tuple[str, ...] = ()
    """Who the case's numbers of people other than the debtor belong to (家属, 同事 …)."""
    dialling_third_party: str | None = None
    """Who the number about to be dialled (or just dialled) belongs to, if not the debtor."""
    said: tuple[Said, ...] = ()
    complaints: tuple[ComplaintSeen, ...] = ()
    refused_on: date | None = None
    """The day of the latest note that recorded a refusal to pay."""
    broken_promise_due: date | None = None
    """The day a broken promise to pay was due."""


@dataclass(frozen=True)
class SituationChoice:
    situation: str
    reasons: tuple[Reason, ...]
    """Each a catalog message (Chinese, with its values): the console says it in the
    reader's language; ``str()`` is the Chinese."""


def choose_situations(book: PhraseBook, facts: CaseFacts) -> tuple[SituationChoice, ...]:
    """The situations ``facts`` call for, in the book's order, each with why."""
    chosen: list[SituationChoice] = []
    for situation, spec in book.situations.items():
        reasons = [*_by_facts(situation, facts), *_by_cues(spec.cues, facts.said)]
        if reasons:
            once = {str(r): r for r in reasons}  # the same words twice are said once
            chosen.append(SituationChoice(situation, tuple(once.values())))
    return tuple(chosen)


def _by_facts(situation: str, facts: CaseFacts) -> list[Reason]:
    if situation == THIRD_PARTY:
        return _third_party(facts)
    if situation == COMPLAINT:
        return [_complaint(seen) for seen in sorted(facts.complaints, key=_newest)]
    if situation == LAWFUL:
        found = []
        if facts.refused_on is not None:
            found.append(_why(N_("%(day)s 催记：债务人拒绝还款"), day=facts.refused_on))
        if facts.broken_promise_due is not None:
            found.append(_why(N_("承诺 %(day)s 前还款，未兑现"), day=facts.broken_promise_due))
        return found
    return []


def _third_party(facts: CaseFacts) -> list[Reason]:
    found = []
    if facts.dialling_third_party is not None:
        found.append(
            _why(N_("本次拨打的是第三方（%(who)s）的号码"), who=facts.dialling_third_party)
        )
    if facts.third_parties:
        who = tuple(dict.fromkeys(facts.third_parties))
        found.append(_why(N_("本案有第三方联系人：%(who)s"), who=who))
    return found


def _newest(seen: ComplaintSeen) -> tuple[bool, int]:
    return (not seen.open, -seen.day.toordinal())


def _complaint(seen: ComplaintSeen) -> Reason:
    if seen.source == "note":
        return _why(N_("%(day)s 催记记为投诉倾向"), day=seen.day)
    if seen.open:
        return _why(N_("投诉处理中（%(day)s 登记）"), day=seen.day)
    return _why(N_("曾有投诉（%(day)s 登记，已办结）"), day=seen.day)


def _why(msgid: str, **params: object) -> Reason:
    # words as text (a day too), a list of words kept a tuple: the reader's language joins it
    said = {k: v if isinstance(v, tuple) else str(v) for k, v in params.items()}
    return Reason(msgid, MappingProxyType(said))


def _by_cues(cues: tuple[str, ...], said: tuple[Said, ...]) -> list[Reason]:
    found: list[Reason] = []
    for words in sorted(said, key=lambda s: s.day, reverse=True):
        cue = next((c for c in cues if c in words.text), None)
        if cue is None:
            continue
        if words.source == "note":
            found.append(_why(N_("%(day)s 催记提到「%(cue)s」"), day=words.day, cue=cue))
        else:
            found.append(_why(N_("对方在 %(day)s 的通话中说到「%(cue)s」"), day=words.day, cue=cue))
        if len(found) == MAX_CUE_REASONS:
            break
    return found
