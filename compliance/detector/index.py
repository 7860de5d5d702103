"""Find every lexicon phrase in an utterance at once: as written, and as it sounds.

Two Aho-Corasick automata (pyahocorasick): one over the text, one over its
coarse spelling (each syllable's confusion classes, see
:mod:`compliance.detector.confusion`). A phrase allowed to match by sound is
cut into pieces so that, whenever some stretch of the utterance sounds close
enough to the whole phrase, one piece's coarse spelling is in it exactly
(:func:`~compliance.detector.confusion.pieces`); each piece hit proposes where
the phrase would start, and the candidate is priced syllable by syllable. No
stretch within budget is missed: the test compares with pricing every stretch
(``exhaustive``).

The automata walk UTF-8 bytes, not characters. pyahocorasick finds a node's
child by a linear search, so a root with a thousand Chinese first characters
costs hundreds of comparisons per character scanned (3 M chars/s); in UTF-8 a
Chinese character is three steps through nodes of at most 64 children (15 M
chars/s). UTF-8 never lets a phrase match from the middle of a character, so
byte hits map back to whole characters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import inf
from typing import Any, Literal

import ahocorasick

from compliance.detector.confusion import budget, pieces, review_budget, syllable_cost
from compliance.detector.sound import Spellings, spell, syllable_count, syllable_of

MatchKind = Literal["text", "pinyin", "fuzzy", "model"]
"""As written; a homophone (toneless pinyin equal); near in sound (within budget); or no rule
matched and the model (:mod:`compliance.detector.classifier`) weighed the words."""


@dataclass(frozen=True)
class Hit:
    phrase: int
    start: int
    end: int
    """Characters [start, end) of the utterance."""
    kind: MatchKind
    cost: float = 0.0
    """How far the heard syllables are from the phrase's (0 for text and pinyin)."""
    weak: bool = False
    """Over the phrase's flag budget, within its review budget: for a person to listen to."""


@dataclass(frozen=True)
class PhraseEntry:
    phrase: str
    pinyin_min_syllables: int | None
    """Match homophones too when the phrase has at least this many syllables."""
    fuzzy_min_syllables: int | None
    """Match near-homophones (within :func:`budget`) when it has at least this many."""
    review: bool = False
    """Also report weak sound matches (see :func:`review_budget`), whatever the syllable
    thresholds: a rule's phrase is, a clearing word never is."""

    def reviewed(self) -> float | None:
        """The most a weak match may cost (None: no weak matches looked for)."""
        syllables = syllable_count(self.phrase)
        if not self.review or syllables < 2:
            return None
        return review_budget(syllables)

    def allowed(self) -> float | None:
        """The most a sound match may cost (None: the phrase matches only as written)."""
        syllables = syllable_count(self.phrase)
        if _reaches(syllables, self.fuzzy_min_syllables):
            return budget(syllables)
        if _reaches(syllables, self.pinyin_min_syllables):
            return 0.0
        return None


class PhraseIndex:
    """Numbered phrases, found as written and by sound.

    ``only``: index just these phrases (numbers keep counting over all ``entries``).
    ``exhaustive``: price every stretch of the text instead of asking the coarse
    automaton where to look (slow: the reference the fast search is tested against).
    """

    def __init__(
        self,
        entries: Iterable[PhraseEntry],
        only: frozenset[int] | None = None,
        exhaustive: bool = False,
    ) -> None:
        self.phrases: list[str] = []
        self._sounds: dict[int, tuple[str, float, float]] = {}
        """Phrase → its pinyin spelling, flag budget (-1: none) and the most it may cost."""
        words: dict[str, list[int]] = {}
        homophones: dict[str, list[int]] = {}
        keys: dict[str, list[tuple[int, int]]] = {}
        for number, entry in enumerate(entries):
            self.phrases.append(entry.phrase)
            if only is not None and number not in only:
                continue
            spelt = spell(entry.phrase)
            words.setdefault(spelt.text, []).append(number)
            allowed, reviewed = entry.allowed(), entry.reviewed()
            most = max(allowed or 0.0, reviewed or 0.0)
            if allowed is None and reviewed is None:
                continue
            if most == 0 and not exhaustive:
                # Homophones only: the pinyin spelling matches exactly, nothing to price.
                homophones.setdefault(spelt.pinyin, []).append(number)
                continue
            self._sounds[number] = (spelt.pinyin, -1.0 if allowed is None else allowed, most)
            for start, end in pieces(len(spelt.text), most):
                keys.setdefault(spelt.coarse[start:end], []).append((number, start))
        self._text = _automaton(words)
        self._pinyin = _automaton(homophones)
        self._coarse = _automaton(keys)
        self._exhaustive = exhaustive

    def heard(self, spelt: Spellings) -> list[tuple[int, int]]:
        """(first character, phrase) of every hit in the whole text, in no order, repeats
        kept: the cheap question stage one asks of every call."""
        out = [
            (first, number)
            for automaton, kind in ((self._text, "text"), (self._pinyin, "pinyin"))
            if automaton is not None
            for first, _, numbers in _matches(automaton, getattr(spelt, kind))
            for number in numbers
        ]
        if self._sounds:
            out.extend((hit.start, hit.phrase) for hit in self._priced(spelt, 0, len(spelt.text)))
        return out

    def find(self, spelt: Spellings, start: int = 0, end: int | None = None) -> list[Hit]:
        """Every hit in characters [start, end), the most exact kept where one span matched
        several ways (the spellings are as long as the text, so positions agree)."""
        best: dict[tuple[int, int, int], Hit] = {}
        stop = len(spelt.text) if end is None else end
        for hit in self._hits(spelt, start, stop):
            best.setdefault((hit.phrase, hit.start, hit.end), hit)
        return sorted(best.values(), key=lambda hit: (hit.start, hit.end, hit.phrase))

    def _hits(self, spelt: Spellings, start: int, stop: int) -> Iterable[Hit]:
        """Text hits first, then sound hits, in [start, stop)."""
        exact: tuple[tuple[ahocorasick.Automaton | None, MatchKind], ...] = (
            (self._text, "text"),
            (self._pinyin, "pinyin"),
        )
        for automaton, kind in exact:
            if automaton is None:
                continue
            haystack = _slice(getattr(spelt, kind), start, stop)
            for first, length, numbers in _matches(automaton, haystack):
                for number in numbers:
                    yield Hit(number, start + first, start + first + length, kind)
        if self._sounds:
            yield from self._priced(spelt, start, stop)

    def _priced(self, spelt: Spellings, start: int, stop: int) -> Iterable[Hit]:
        heard = spelt.pinyin
        if self._exhaustive:
            candidates: Iterable[tuple[int, int]] = (
                (number, at) for at in range(start, stop) for number in self._sounds
            )
        else:
            candidates = self._candidates(spelt, start, stop)
        for number, at in candidates:
            said, allowed, most = self._sounds[number]
            if start <= at and at + len(said) <= stop:
                cost = price(said, heard, at, most)
                if cost is not None:
                    kind: MatchKind = "pinyin" if cost == 0 else "fuzzy"
                    yield Hit(number, at, at + len(said), kind, cost, cost > allowed)

    def _candidates(self, spelt: Spellings, start: int, stop: int) -> Iterable[tuple[int, int]]:
        """(phrase, where it would start) for each piece found in the coarse spelling."""
        if self._coarse is None:
            return
        for first, _, found in _matches(self._coarse, _slice(spelt.coarse, start, stop)):
            for number, offset in found:
                yield number, start + first - offset


def price(said: str, heard: str, at: int, allowed: float) -> float | None:
    """What hearing ``heard[at:]`` for the pinyin spelling ``said`` costs, or None when it
    is over ``allowed`` (or differs in a character that is not Han)."""
    total = 0.0
    for offset, symbol in enumerate(said):
        other = heard[at + offset]
        if other == symbol:
            continue
        cost = _PAIR_COSTS.get((symbol, other))
        total += _pair_cost(symbol, other) if cost is None else cost
        if total > allowed:
            return None
    return total


_PAIR_COSTS: dict[tuple[str, str], float] = {}
"""Pinyin symbols → cost, filled as pairs are met: pricing runs on every candidate of
every call, and a dict lookup is a third of two syllable lookups and a cost."""


def _pair_cost(said: str, heard: str) -> float:
    a, b = syllable_of(said), syllable_of(heard)
    cost = inf if a is None or b is None else syllable_cost(a, b)
    _PAIR_COSTS[(said, heard)] = cost
    return cost


def _slice(text: str, start: int, stop: int) -> str:
    # A slice, not iter(haystack, start, stop): pyahocorasick reads the whole string
    # again on every call, and an utterance is a few dozen characters of a long call.
    return text[start:stop] if start or stop < len(text) else text


def _matches(automaton: ahocorasick.Automaton, text: str) -> list[tuple[int, int, tuple[Any, ...]]]:
    """(first character, length, values) of each match of ``automaton`` in ``text``."""
    encoded = as_bytes(text)
    found = list(automaton.iter(encoded))
    if not found:
        return []
    ends = _char_ends(encoded, [last + 1 for last, _ in found])
    return [(ends[last + 1] - length, length, numbers) for last, (length, numbers) in found]


def as_bytes(text: str) -> str:
    """``text`` as UTF-8, one character per byte (what the automata walk)."""
    return text.encode("utf-8").decode("latin-1")


def _char_ends(encoded: str, byte_ends: list[int]) -> dict[int, int]:
    """Byte offsets of hits' ends → character offsets (each stretch decoded once)."""
    out: dict[int, int] = {}
    byte_at = char_at = 0
    for end in sorted(set(byte_ends)):
        char_at += len(encoded[byte_at:end].encode("latin-1").decode("utf-8"))
        byte_at, out[end] = end, char_at
    return out


def _reaches(syllables: int, least: int | None) -> bool:
    return least is not None and syllables >= max(least, 1)


def _automaton(words: dict[str, list[Any]]) -> ahocorasick.Automaton | None:
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word, numbers in words.items():
        automaton.add_word(as_bytes(word), (len(word), tuple(numbers)))
    automaton.make_automaton()
    return automaton
