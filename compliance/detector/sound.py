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

from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin

CLAUSE_BREAKS = frozenset("，,、：:；;。.！!？?…\n \t")
SENTENCE_BREAKS = frozenset("。.！!？?；;\n")
QUOTE_PAIRS = {"“": "”", "「": "」", "『": "』", '"': '"', "‘": "’"}

_FOLD = {"您": "你", "妳": "你", "祢": "你"}
_INITIALS: tuple[str, ...] = tuple(
    [
        "zh",
        "ch",
        "sh",
        "b",
        "p",
        "m",
        "f",
        "d",
        "t",
        "n",
        "l",
        "g",
        "k",
        "h",
        "j",
        "q",
        "x",
        "r",
        "z",
        "c",
        "s",
    ]
)
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
_SYMBOLS: dict[str, str] = {}
_PRIVATE_USE = 0xF0000  # a plane no utterance uses, so symbols never meet real text


@dataclass(frozen=True)
class Spellings:
    """One utterance spelt three ways, plus where its clauses and sentences break."""

    text: str
    pinyin: str
    fuzzy: str
    clause: tuple[int, ...]
    """The clause number of each character."""
    sentence: tuple[int, ...]
    quoted: tuple[bool, ...]
    """Whether each character lies inside quotation marks."""


def normalise(text: str) -> str:
    """Fold what should not tell phrases apart; keeps the length."""
    out = []
    for char in text:
        code = ord(char)
        folded = char
        if 0xFF01 <= code <= 0xFF5E and char not in "，：；！？（）":
            folded = chr(code - 0xFEE0)  # full-width ASCII
        out.append(_FOLD.get(folded, folded).lower())
    return "".join(out)


def is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def spell(text: str) -> Spellings:
    folded = normalise(text)
    syllables = _syllables(folded)
    pinyin = "".join(_symbol(s) if s else c for c, s in zip(folded, syllables, strict=True))
    fuzzy = "".join(
        _symbol("~" + _fuzzy(s)) if s else c for c, s in zip(folded, syllables, strict=True)
    )
    return Spellings(
        text=folded,
        pinyin=pinyin,
        fuzzy=fuzzy,
        clause=_numbering(folded, CLAUSE_BREAKS),
        sentence=_numbering(folded, SENTENCE_BREAKS),
        quoted=_quoted(folded),
    )


def syllable_count(phrase: str) -> int:
    return sum(1 for char in phrase if is_han(char))


def _syllables(text: str) -> list[str]:
    """The toneless pinyin of each Han character ('' for anything else)."""
    out: list[str] = []
    run_start = None
    for index, char in enumerate([*text, "\0"]):
        if is_han(char):
            if run_start is None:
                run_start = index
            continue
        if run_start is not None:
            out.extend(_run_pinyin(text[run_start:index]))
            run_start = None
        if index < len(text):
            out.append("")
    return out


@lru_cache(maxsize=65536)
def _run_pinyin(run: str) -> tuple[str, ...]:
    # Whole runs, so pypinyin can pick the reading of a polyphone from its word.
    syllables = lazy_pinyin(run, style=Style.NORMAL)
    if len(syllables) != len(run):
        syllables = [lazy_pinyin(char, style=Style.NORMAL)[0] for char in run]
    return tuple(s if s.isascii() and s.isalpha() else "" for s in syllables)


def _symbol(key: str) -> str:
    symbol = _SYMBOLS.get(key)
    if symbol is None:
        symbol = _SYMBOLS.setdefault(key, chr(_PRIVATE_USE + len(_SYMBOLS)))
    return symbol


@lru_cache(maxsize=4096)
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


def _numbering(text: str, breaks: frozenset[str]) -> tuple[int, ...]:
    numbers: list[int] = []
    current = 0
    for char in text:
        if char in breaks:
            current += 1
            numbers.append(-current)  # a break belongs to no clause
            continue
        numbers.append(current)
    return tuple(numbers)


def _quoted(text: str) -> tuple[bool, ...]:
    marks: list[bool] = []
    closing: str | None = None
    for char in text:
        if closing is not None and char == closing:
            closing = None
            marks.append(True)
            continue
        if closing is None and char in QUOTE_PAIRS:
            closing = QUOTE_PAIRS[char]
            marks.append(True)
            continue
        marks.append(closing is not None)
    return tuple(marks)
