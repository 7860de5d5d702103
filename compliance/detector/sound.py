"""Text in three spellings, one symbol per character, so a match maps back to characters.

- ``text``: the utterance, lightly normalised (您→你, full-width ASCII folded,
  lower case): exact matches.
- ``pinyin``: each Han character replaced by one symbol for its toneless
  pinyin syllable, so homophones match (检察院 ~ 检查院).
- ``fuzzy``: the same with similar-sounding initials and finals merged (zh~z,
  n~l, j~q~x, in~ing, an~ang, ü~i…), so near-homophones of longer phrases match
  (逾期 ~ 一期, 公安局 ~ 公安及, 欠款 ~ 舰款). Telephone audio through Whisper
  base makes exactly these errors.

Every spelling has the same length as the text, so a match at [i, j) in any
of them is the characters [i, j) of the utterance.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

from pypinyin.pinyin_dict import pinyin_dict

CLAUSE_BREAKS = "，,、：:；;。.！!？?…\n \t"
SENTENCE_BREAKS = "。.！!？?；;\n"
QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』", '"': '"', "‘": "’"}

_FOLD = {ord("您"): "你", ord("妳"): "你", ord("祢"): "你"}
_FOLD.update({code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)})
for _kept in "，：；！？（）":  # full-width punctuation stays: it marks clauses
    _FOLD.pop(ord(_kept))
# two-letter initials first, so zh is not read as z + h…
_INITIALS = ("zh", "ch", "sh", *"bpmfdtnlgkhjqxrzcs")
_FUZZY_INITIAL = {"zh": "z", "ch": "c", "sh": "s", "n": "l", "r": "l", "f": "h", "q": "j", "x": "j"}
_FUZZY_FINAL = {
    "ing": "in",
    "eng": "en",
    "ang": "an",
    "iang": "ian",
    "uang": "uan",
    "v": "i",
    "ve": "ie",
    "vn": "in",
    "van": "ian",
}
_PRIVATE_USE = 0xF0000  # a plane no utterance uses, so symbols never meet real text
_CLAUSE_RE = re.compile("[" + re.escape(CLAUSE_BREAKS) + "]")
_SENTENCE_RE = re.compile("[" + re.escape(SENTENCE_BREAKS) + "]")
_QUOTE_RE = re.compile(
    "|".join(
        f"{re.escape(a)}[^{re.escape(b)}\n]*(?:{re.escape(b)}|$)" for a, b in QUOTE_PAIRS.items()
    ),
    re.MULTILINE,
)


@dataclass(frozen=True)
class Spellings:
    """One utterance spelt three ways, plus where its clauses and sentences break."""

    text: str
    pinyin: str
    fuzzy: str
    clause_breaks: tuple[int, ...]
    sentence_breaks: tuple[int, ...]
    quotes: tuple[tuple[int, int], ...]
    """[start, end) of each quotation, marks included (an unclosed one runs to the line's end)."""

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
    return text.translate(_FOLD).lower()


def is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def spell(text: str, kinds: frozenset[str] = frozenset({"pinyin", "fuzzy"})) -> Spellings:
    """``kinds``: the sound spellings wanted; one nobody will search stays empty."""
    folded = normalise(text)
    pinyin_table, fuzzy_table = _tables()
    return Spellings(
        text=folded,
        pinyin=folded.translate(pinyin_table) if "pinyin" in kinds else "",
        fuzzy=folded.translate(fuzzy_table) if "fuzzy" in kinds else "",
        clause_breaks=tuple(m.start() for m in _CLAUSE_RE.finditer(folded)),
        sentence_breaks=tuple(m.start() for m in _SENTENCE_RE.finditer(folded)),
        quotes=tuple(m.span() for m in _QUOTE_RE.finditer(folded)),
    )


def syllable_count(phrase: str) -> int:
    return sum(1 for char in phrase if is_han(char))


@cache
def _tables() -> tuple[dict[int, str], dict[int, str]]:
    """Character → symbol of its toneless syllable, and of its fuzzy class.

    Each character takes its first (most common) reading, for phrases and
    utterances alike, so a polyphone still matches itself; building the
    tables once makes spelling a ``str.translate`` (C speed).
    """
    symbols: dict[str, str] = {}

    def symbol(key: str) -> str:
        return symbols.setdefault(key, chr(_PRIVATE_USE + len(symbols)))

    pinyin: dict[int, str] = {}
    fuzzy: dict[int, str] = {}
    for code, readings in pinyin_dict.items():
        syllable = _toneless(readings.split(",")[0])
        if not syllable or not is_han(chr(code)):
            continue
        pinyin[code] = symbol(syllable)
        fuzzy[code] = symbol("~" + _fuzzy(syllable))
    return pinyin, fuzzy


def _toneless(reading: str) -> str:
    decomposed = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return plain if plain.isascii() and plain.isalpha() else ""


def _fuzzy(syllable: str) -> str:
    initial, final = _split(syllable)
    return _FUZZY_INITIAL.get(initial, initial) + "|" + _FUZZY_FINAL.get(final, final)


def _split(syllable: str) -> tuple[str, str]:
    """Initial and final, with y/w spelled out and ü written v (yu → v, ju → jv)."""
    if syllable.startswith("y"):
        rest = syllable[1:]
        final = (
            "v" + rest[1:] if rest.startswith("u") else rest if rest.startswith("i") else "i" + rest
        )
        return "", final
    if syllable.startswith("w"):
        rest = syllable[1:]
        return "", rest if rest.startswith("u") else "u" + rest
    for initial in _INITIALS:
        if syllable.startswith(initial):
            final = syllable[len(initial) :]
            if initial in ("j", "q", "x") and final.startswith("u"):
                final = "v" + final[1:]
            return initial, final
    return "", syllable
