"""Text in three spellings, one symbol per character, so a match maps back to characters.

- ``text``: the utterance, lightly normalised (您→你, full-width ASCII folded,
  lower case): exact matches.
- ``pinyin``: each Han character replaced by one symbol for its toneless
  pinyin syllable, so homophones match (检察院 ~ 检查院).
- ``coarse``: each Han character replaced by a symbol for its initial's and
  final's confusion classes (see :mod:`compliance.detector.confusion`): where
  near-homophones (逾期 ~ 一期, 欠款 ~ 舰款) are looked for, and then priced
  syllable by syllable.

Every spelling has the same length as the text, so a match at [i, j) in any
of them is the characters [i, j) of the utterance.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import cache

from pypinyin.pinyin_dict import pinyin_dict

from compliance.detector.confusion import coarse_key

CLAUSE_BREAKS = "，,、：:；;。.！!？?…\n \t"
SENTENCE_BREAKS = "。.！!？?；;\n"
QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』", '"': '"', "‘": "’"}

_FOLD = {ord("您"): "你", ord("妳"): "你", ord("祢"): "你"}
_FOLD.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
for _kept in "，：；！？（）":  # full-width punctuation stays: it marks clauses
    _FOLD.pop(ord(_kept))
_FOLD_RE = re.compile("[" + re.escape("".join(chr(code) for code in _FOLD)) + "]")
_PRIVATE_USE = 0xF0000  # a plane no utterance uses, so symbols never meet real text
_CLAUSE_RE = re.compile("[" + re.escape(CLAUSE_BREAKS) + "]")
_SENTENCE_RE = re.compile("[" + re.escape(SENTENCE_BREAKS) + "]")
_QUOTE_RE = re.compile(
    "|".join(
        f"{re.escape(a)}[^{re.escape(b)}\n]*(?:{re.escape(b)}|$)" for a, b in QUOTE_PAIRS.items()
    ),
    re.MULTILINE,
)


class Spellings:
    """One utterance spelt three ways, plus where its clauses and sentences break.

    Only ``text`` is made at once: the sound spellings, breaks and quotations
    are made on first use, since most of what is said has no hit and nobody
    asks how it sounds or where its clauses end.
    """

    __slots__ = ("_clauses", "_coarse", "_pinyin", "_quotes", "_sentences", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        """Normalised (see :func:`normalise`)."""
        self._pinyin: str | None = None
        self._coarse: str | None = None
        self._clauses: tuple[int, ...] | None = None
        self._sentences: tuple[int, ...] | None = None
        self._quotes: tuple[tuple[int, int], ...] | None = None

    @property
    def pinyin(self) -> str:
        if self._pinyin is None:
            self._pinyin = self.text.translate(_tables()[0])
        return self._pinyin

    @property
    def coarse(self) -> str:
        if self._coarse is None:
            self._coarse = self.text.translate(_tables()[1])
        return self._coarse

    @property
    def clause_breaks(self) -> tuple[int, ...]:
        if self._clauses is None:
            self._clauses = tuple(m.start() for m in _CLAUSE_RE.finditer(self.text))
        return self._clauses

    @property
    def sentence_breaks(self) -> tuple[int, ...]:
        if self._sentences is None:
            self._sentences = tuple(m.start() for m in _SENTENCE_RE.finditer(self.text))
        return self._sentences

    @property
    def quotes(self) -> tuple[tuple[int, int], ...]:
        """[start, end) of each quotation, marks included (an unclosed one runs to the line's
        end)."""
        if self._quotes is None:
            self._quotes = tuple(m.span() for m in _QUOTE_RE.finditer(self.text))
        return self._quotes

    def clause(self, index: int) -> int:
        """The number of the clause holding character ``index``."""
        return bisect_right(self.clause_breaks, index)

    def sentence(self, index: int) -> int:
        return bisect_right(self.sentence_breaks, index)

    def quoted(self, start: int, end: int) -> bool:
        """Whether characters [start, end) lie inside one pair of quotation marks."""
        return any(a < start and end <= b for a, b in self.quotes)


def normalise(text: str) -> str:
    """Fold what should not tell phrases apart (您/你, full-width ASCII, case); keeps the length."""
    # 您 is in most lines and str.replace is far faster than str.translate, which then runs
    # only on the rare line that has something else to fold.
    text = text.replace("您", "你")
    if _FOLD_RE.search(text):
        text = text.translate(_FOLD)
    return text.lower()


def is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def spell(text: str) -> Spellings:
    return Spellings(normalise(text))


def syllable_count(phrase: str) -> int:
    return sum(1 for char in phrase if is_han(char))


def syllable_of(symbol: str) -> str | None:
    """The toneless syllable a ``pinyin`` symbol stands for (None: not a Han character's)."""
    return _syllables().get(symbol)


@cache
def _syllables() -> dict[str, str]:
    return _readings()[2]


@cache
def _tables() -> tuple[list[str], list[str]]:
    """Character → symbol of its toneless syllable, and of its coarse key.

    Each character takes its first (most common) reading, for phrases and
    utterances alike, so a polyphone still matches itself; building the
    tables once makes spelling a ``str.translate`` (C speed). The tables are
    lists indexed by code point (a character past the end stays as it is):
    a third faster than dicts, which hash every character.
    """
    pinyin, coarse, _ = _readings()
    return _as_list(pinyin), _as_list(coarse)


@cache
def _readings() -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
    symbols: dict[str, str] = {}

    def symbol(key: str) -> str:
        return symbols.setdefault(key, chr(_PRIVATE_USE + len(symbols)))

    pinyin: dict[int, str] = {}
    coarse: dict[int, str] = {}
    for code, readings in pinyin_dict.items():
        syllable = toneless(readings.split(",")[0])
        if not syllable or not is_han(chr(code)):
            continue
        pinyin[code] = symbol(syllable)
        coarse[code] = symbol("~" + coarse_key(syllable))
    syllables = {sym: key for key, sym in symbols.items() if not key.startswith("~")}
    return pinyin, coarse, syllables


def _as_list(table: dict[int, str]) -> list[str]:
    out = [chr(code) for code in range(max(table) + 1)]
    for code, symbol in table.items():
        out[code] = symbol
    return out


def toneless(reading: str) -> str:
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return plain if plain.isascii() and plain.isalpha() else ""
