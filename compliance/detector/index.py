"""Find every lexicon phrase in an utterance at once, in all three spellings.

One Aho-Corasick automaton (pyahocorasick) per spelling; each phrase gets a
number, and a hit says which phrase, where, and in which spelling it matched.

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
        self._present = [(kind, a) for kind, a in self._automata.items() if a is not None]

    def heard(self, spelt: Spellings) -> list[tuple[int, int]]:
        """(first character, phrase) of every hit in the whole text, in no order, repeats
        kept: the cheap question stage one asks of every call."""
        return [
            (first, number)
            for kind, automaton in self._present
            for first, _, numbers in _matches(automaton, getattr(spelt, kind))
            for number in numbers
        ]

    def find(self, spelt: Spellings, start: int = 0, end: int | None = None) -> list[Hit]:
        """Every hit in characters [start, end), the most exact spelling kept where one span
        matched several ways (the spellings are as long as the text, so positions agree)."""
        best: dict[tuple[int, int, int], Hit] = {}
        stop = len(spelt.text) if end is None else end
        for kind, automaton in self._present:
            # A slice, not iter(haystack, start, stop): pyahocorasick reads the whole string
            # again on every call, and an utterance is a few dozen characters of a long call.
            haystack: str = getattr(spelt, kind)
            if start or stop < len(haystack):
                haystack = haystack[start:stop]
            for at, length, numbers in _matches(automaton, haystack):
                first = start + at
                for number in numbers:
                    hit = Hit(number, first, first + length, kind)
                    best.setdefault((number, first, first + length), hit)
        return sorted(best.values(), key=lambda hit: (hit.start, hit.end, hit.phrase))


def _matches(automaton: ahocorasick.Automaton, text: str) -> list[tuple[int, int, tuple[int, ...]]]:
    """(first character, length, phrase numbers) of each match of ``automaton`` in ``text``."""
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


def _automaton(words: dict[str, list[int]]) -> ahocorasick.Automaton | None:
    if not words:
        return None
    automaton = ahocorasick.Automaton()
    for word, numbers in words.items():
        automaton.add_word(as_bytes(word), (len(word), tuple(numbers)))
    automaton.make_automaton()
    return automaton
