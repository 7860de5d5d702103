"""Where a rule fires in one utterance: its groups' hits chained in order, in one clause."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compliance.detector.index import Hit, MatchKind
from compliance.detector.sound import Spellings

KIND_RANK: dict[MatchKind, int] = {"text": 0, "pinyin": 1, "fuzzy": 2, "model": 3}


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    severity: int
    groups: tuple[frozenset[int], ...]
    within: int


@dataclass(frozen=True)
class Span:
    rule: Rule
    start: int
    end: int
    core: int
    """Where the last group's phrase starts: contexts before it clear the hit."""
    kind: MatchKind
    cost: float = 0.0
    """The sound cost of its hits, summed."""
    weak: bool = False
    """Some hit was a weak sound match: for review, never a flag."""


def same(spelt: Spellings, hit: Hit, clause: int) -> bool:
    return spelt.clause(hit.start) == clause and spelt.clause(hit.end - 1) == clause


def hits_of(phrases: frozenset[int], hits: dict[int, list[Hit]]) -> Iterable[Hit]:
    # An utterance has a few hits and a group many phrases: walk the hits.
    for phrase, found in hits.items():
        if phrase in phrases:
            yield from found


def spans(rules: list[Rule], hits: dict[int, list[Hit]], spelt: Spellings) -> Iterable[Span]:
    for rule in rules:
        for first in sorted(hits_of(rule.groups[0], hits), key=lambda h: h.start):
            span = chain(rule, first, hits, spelt)
            if span is not None:
                yield span


def chain(rule: Rule, first: Hit, hits: dict[int, list[Hit]], spelt: Spellings) -> Span | None:
    """Each later group's nearest hit, in the same clause, at most ``within`` after the last."""
    clause = spelt.clause(first.start)
    core, end, weakest = first.start, first.end, first.kind
    cost, weak = first.cost, first.weak
    for group in rule.groups[1:]:
        following = [
            hit
            for hit in hits_of(group, hits)
            if 0 <= hit.start - end <= rule.within and same(spelt, hit, clause)
        ]
        if not following:
            return None
        nearest = min(following, key=lambda hit: (hit.start, KIND_RANK[hit.kind]))
        core, end = nearest.start, nearest.end
        cost, weak = cost + nearest.cost, weak or nearest.weak
        if KIND_RANK[nearest.kind] > KIND_RANK[weakest]:
            weakest = nearest.kind
    return Span(rule, first.start, end, core, weakest, cost, weak)
