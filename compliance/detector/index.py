"""Find every lexicon phrase in an utterance at once, in all three spellings.

One Aho-Corasick automaton (pyahocorasick) per spelling; each phrase gets a
number, and a hit says which phrase, where, and in which spelling it matched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import ahocorasick

from compliance.detector.sound import Spellings, spell, syllable_count

MatchKind = Literal["text", "pinyin", "fuzzy"]
_KINDS: tuple[MatchKind, ...] = ("text", "pinyin", "fuzzy")


@dataclass(frozen=True)
class Hit:
    phrase: int
    start: int
    end: int
    """Characters [start, end) of the utterance."""
    kind: MatchKind


@dataclass(frozen=True)
class PhraseEntry:
    phrase: str
    pinyin_min_syllables: int | None
    """Match toneless pinyin too when the phrase has at least this many syllables."""
    fuzzy_min_syllables: int | None
    """Match fuzzy pinyin too when the phrase has at least this many syllables."""


class PhraseIndex:
    """Numbered phrases, found in all spellings of a text with one pass each."""

    def __init__(self, entries: Iterable[PhraseEntry], only: frozenset[int] | None = None) -> None:
        """``only``: index just these phrases (numbers keep counting over all ``entries``)."""
        self.phrases: list[str] = []
        builders: dict[MatchKind, dict[str, list[int]]] = {kind: {} for kind in _KINDS}
        for number, entry in enumerate(entries):
            self.phrases.append(entry.phrase)
            if only is not None and number not in only:
                continue
            spelt = spell(entry.phrase)
            builders["text"].setdefault(spelt.text, []).append(number)
            syllables = syllable_count(entry.phrase)
            if _reaches(syllables, entry.pinyin_min_syllables):
                builders["pinyin"].setdefault(spelt.pinyin, []).append(number)
            if _reaches(syllables, entry.fuzzy_min_syllables):
                builders["fuzzy"].setdefault(spelt.fuzzy, []).append(number)
        self._automata = {kind: _automaton(words) for kind, words in builders.items()}

    def find(self, spelt: Spellings, start: int = 0, end: int | None = None) -> list[Hit]:
        """Every hit in characters [start, end), the most exact spelling kept where one span
        matched several ways (the spellings are as long as the text, so positions agree)."""
        best: dict[tuple[int, int, int], Hit] = {}
        stop = len(spelt.text) if end is None else end
        for kind in _KINDS:
            automaton = self._automata[kind]
            if automaton is None:
                continue
            # A slice, not iter(haystack, start, stop): pyahocorasick reads the whole string
            # again on every call, and an utterance is a few dozen characters of a long call.
            haystack: str = getattr(spelt, kind)
            if start or stop < len(haystack):
                haystack = haystack[start:stop]
            for last, (length, numbers) in automaton.iter(haystack):
                first = start + last + 1 - length
                for number in numbers:
                    hit = Hit(number, first, first + length, kind)
                    best.setdefault((number, first, first + length), hit)
        return sorted(best.values(), key=lambda hit: (hit.start, hit.end, hit.phrase))

    def spellings(self) -> frozenset[str]:
        """The spellings this index looks at: a text need not be spelt any other way."""
        return frozenset(kind for kind in _KINDS if self._automata[kind] is not None)


def _reaches(syllables: int, least: int | None) -> bool:
    return least is not None and syllables >= max(least, 1)


def _automaton(words: dict[str, list[int]]) -> ahocorasick.Automaton | None:
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word, numbers in words.items():
        automaton.add_word(word, (len(word), tuple(numbers)))
    automaton.make_automaton()
    return automaton
