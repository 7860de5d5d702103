"""A collection note drafted from a call's transcript: outcome, promise, a short summary.

Pure: utterances, who was called and the call's local time in; a ``NoteDraft`` out. Nothing
here reads a clock or calls a service. The agent confirms or edits the draft; the store keeps
both, so QA sees what changed.

Where the promise comes from, in the order said (a later line overrides an earlier one):
- a callee line that promises to pay (``lines.is_promise``): its amounts and days;
- an agent's proposal the callee accepts on the next line (先还五千可以吗? — 行);
- a callee's answer with a day to the agent's "when" (什么时候能还? — 下个月吧);
- a callee's correction (不是五千，是三千).
A third party's words never make a promise for the debtor, and nothing the agent says alone
(a balance, a threat's numbers) becomes one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from compliance.detector.findings import Utterance
from compliance.notes_draft.amounts import AmountMention, amount_mentions
from compliance.notes_draft.dates import DateMention, date_mentions
from compliance.notes_draft.lines import Cue, cues, is_promise
from compliance.notes_draft.numerals import normalise

RULES_VERSION = "1"
"""Kept with each stored draft: which rules wrote it."""
QUOTE_CHARS = 40


class DraftOutcome(StrEnum):
    """The outcomes a draft can propose; the values are the note form's (store.notes)."""

    PROMISE_TO_PAY = "promise_to_pay"
    NEGOTIATING = "negotiating"
    REFUSED = "refused"
    THIRD_PARTY = "third_party"
    COMPLAINT = "complaint"
    WRONG_NUMBER = "wrong_number"
    OTHER = "other"


class Party(StrEnum):
    DEBTOR = "debtor"
    THIRD_PARTY = "third_party"
    UNKNOWN = "unknown"


OUTCOME_ZH = {
    DraftOutcome.PROMISE_TO_PAY: "承诺还款",
    DraftOutcome.NEGOTIATING: "协商中",
    DraftOutcome.REFUSED: "拒绝还款",
    DraftOutcome.THIRD_PARTY: "第三方转告",
    DraftOutcome.COMPLAINT: "投诉倾向",
    DraftOutcome.WRONG_NUMBER: "号码错误",
    DraftOutcome.OTHER: "其他",
}
PARTY_ZH = {Party.DEBTOR: "本人接听", Party.THIRD_PARTY: "第三方接听", Party.UNKNOWN: "对方接听"}


@dataclass(frozen=True)
class NoteDraft:
    outcome: DraftOutcome
    party: Party
    promised_amount_cents: int | None
    promised_date: date | None
    """The day the payment is promised by, on the call's local calendar."""
    summary: str
    """Two or three lines: what happened, then the callee's key words."""


_ASKS_WHEN = re.compile(r"什么时候|哪天|几号|多久|何时|还款时间|时间")
_CONFIRM = re.compile(r"[？?]|吗|对吧|是吧|好吧|行吧|可以吧|对不对|行不行|可不可以|能不能")
_THREAT = re.compile(r"否则|不然|要不|就会|起诉|坐牢|上门|后果|法院|公安|警察|拘留|律师")
_YES = re.compile(r"^(?:好|行|可以|对|嗯|没问题|是的|是|ok|OK|中|成|那行|那好)")


@dataclass
class _Promise:
    amount: int | None = None
    day: date | None = None
    line: str | None = None

    def take(self, amounts: list[AmountMention], days: list[DateMention], line: str) -> None:
        kept = [a for a in amounts if not a.taken_back]
        if kept:
            self.amount = kept[0].cents
        exact = [d for d in days if not d.taken_back]
        if exact:
            best = max(d.exactness for d in exact)
            self.day = next(d.day for d in exact if d.exactness == best)
        self.line = line


def _read_promise(lines: Sequence[tuple[str, str]], today: date) -> _Promise | None:
    """The promise the callee made, if any; ``lines`` are (speaker, normalised text)."""
    promise: _Promise | None = None
    for index, (speaker, text) in enumerate(lines):
        if speaker != "callee":
            continue
        amounts = amount_mentions(text)
        days = [d for d in date_mentions(text, today) if d.day >= today]
        previous = lines[index - 1] if index else ("", "")
        said = bool(amounts or days)
        accepted = previous[0] == "agent" and _accepts(previous[1], text, today)
        if is_promise(text, said):
            promise = promise or _Promise()
            if accepted:
                promise.take(*_agent_terms(previous[1], today), previous[1])
            promise.take(amounts, days, text)
        elif accepted:
            promise = promise or _Promise()
            promise.take(*_agent_terms(previous[1], today), text)
            promise.take(amounts, days, text)  # 行，周五吧: the callee's own day
        elif days and _answers_when(previous, text):
            promise = promise or _Promise()
            promise.take(amounts, days, text)
        elif promise and _corrects(amounts, days):
            promise.take(amounts, days, text)  # 不是五千，是三千
    return promise


def _answers_when(previous: tuple[str, str], text: str) -> bool:
    """A callee's day in answer to the agent's "when" (下个月吧); a refusal is no answer
    (什么时候还? — 我现在真的没有钱: 现在 is no day to pay by)."""
    if previous[0] != "agent" or not _ASKS_WHEN.search(previous[1]):
        return False
    return Cue.REFUSAL not in cues(text)


def _corrects(amounts: list[AmountMention], days: list[DateMention]) -> bool:
    """A line that takes back an amount or a day (不是五千，是三千) restates the promise."""
    return any(a.taken_back for a in amounts) or any(d.taken_back for d in days)


def _agent_terms(text: str, today: date) -> tuple[list[AmountMention], list[DateMention]]:
    return amount_mentions(text), [d for d in date_mentions(text, today) if d.day >= today]


def _accepts(agent_line: str, callee_line: str, today: date) -> bool:
    """The callee said yes to an agent's proposal that names an amount or a day."""
    if not (_CONFIRM.search(agent_line) and _YES.match(callee_line)):
        return False
    if _THREAT.search(agent_line) or Cue.REFUSAL in cues(callee_line):
        return False
    amounts, days = _agent_terms(agent_line, today)
    return bool(amounts or days)


def _party(contact_type: str, found: set[Cue]) -> Party:
    if contact_type not in {"debtor", "unknown", ""} or Cue.THIRD_PARTY in found:
        return Party.THIRD_PARTY
    return Party.DEBTOR if contact_type == "debtor" else Party.UNKNOWN


def _outcome(party: Party, found: set[Cue], promise: _Promise | None) -> DraftOutcome:
    if Cue.COMPLAINT in found:
        return DraftOutcome.COMPLAINT
    if Cue.WRONG_NUMBER in found:
        return DraftOutcome.WRONG_NUMBER
    if party is Party.THIRD_PARTY:
        return DraftOutcome.THIRD_PARTY
    if promise is not None:
        return DraftOutcome.PROMISE_TO_PAY
    if Cue.NEGOTIATION in found:
        return DraftOutcome.NEGOTIATING
    if Cue.REFUSAL in found:
        return DraftOutcome.REFUSED
    return DraftOutcome.OTHER


def yuan(cents: int) -> str:
    """¥5,000 or ¥1,200.50."""
    whole, rest = divmod(cents, 100)
    return f"¥{whole:,}" + (f".{rest:02d}" if rest else "")


def _quote(text: str) -> str:
    short = text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…"
    return f"对方：“{short}”"


_SUMMARY_ORDER = (
    Cue.COMPLAINT,
    Cue.WRONG_NUMBER,
    Cue.PROMISE,
    Cue.REFUSAL,
    Cue.DISPUTE,
    Cue.NEGOTIATION,
    Cue.THIRD_PARTY,
)


@dataclass(frozen=True)
class _CalleeLine:
    said: str
    """As transcribed (quoted in the summary)."""
    text: str
    """Normalised (what the rules read)."""
    cues: set[Cue]


def _summary(head: str, callee: list[_CalleeLine], promise_line: str | None) -> str:
    """The head line, then up to two of the callee's key lines in the order they were said."""
    ranked: list[tuple[int, int]] = []
    for index, line in enumerate(callee):
        found = line.cues
        if line.text == promise_line:
            found = found | {Cue.PROMISE}
        ranks = [_SUMMARY_ORDER.index(c) for c in found]
        if ranks:
            ranked.append((min(ranks), index))
    chosen = sorted(index for _, index in sorted(ranked)[:2])
    if not chosen and callee:
        chosen = [max(range(len(callee)), key=lambda i: len(callee[i].text))]
    return "\n".join([head, *(_quote(callee[i].said) for i in chosen)])


def draft_note(utterances: Sequence[Utterance], contact_type: str, now: datetime) -> NoteDraft:
    """Draft the note of one call; ``now`` is the call's local time (its date anchors 明天)."""
    today = now.date()
    said = [(u.speaker, u.text.strip(), normalise(u.text)) for u in utterances]
    lines = [(speaker, text) for speaker, _, text in said if text]
    callee = [
        _CalleeLine(raw, text, cues(text)) for who, raw, text in said if who == "callee" and text
    ]
    found: set[Cue] = set().union(*(line.cues for line in callee))
    party = _party(contact_type, found)
    promise = _read_promise(lines, today) if party is not Party.THIRD_PARTY else None
    outcome = _outcome(party, found, promise)
    head = f"{PARTY_ZH[party]}；{OUTCOME_ZH[outcome]}"
    if outcome is DraftOutcome.PROMISE_TO_PAY and promise is not None:
        terms = [
            yuan(promise.amount) if promise.amount else "",
            f"{promise.day.isoformat()} 前" if promise.day else "",
        ]
        head += "：" + ("，".join(t for t in terms if t) or "未说金额和日期")
    if not callee:
        head += "（对方无发言）"
    keep = outcome is DraftOutcome.PROMISE_TO_PAY and promise is not None
    return NoteDraft(
        outcome=outcome,
        party=party,
        promised_amount_cents=promise.amount if keep and promise else None,
        promised_date=promise.day if keep and promise else None,
        summary=_summary(head + "。", callee, promise.line if promise else None),
    )
