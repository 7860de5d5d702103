"""The domain prompt: the active lexicon's vocabulary, given to Whisper as earlier text.

Pure. Whisper conditions on a previous-text prompt, so listing the words the
detector looks for (减免, 分期, 坐牢 …) makes the decoder prefer them over
their homophones (检免, 分清, 做牢). The prompt is built from whatever lexicon
is active, so a phrase an admin adds biases decoding too. It stays short: a
long list slows decoding and base sometimes answers with the prompt itself
instead of the speech (``is_echo`` finds those answers so they are dropped).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from compliance.lexicon import LexiconFile

PROMPT_HEAD = "催收电话录音："
"""Says what kind of speech follows; the vocabulary comes after it."""
MIN_WORD, MAX_WORD = 2, 4
"""Han characters of a vocabulary word: one-character phrases bias nothing, long ones are
sentences (their words are in the prompt already, or they would crowd it)."""
ECHO_SHARED = 8
RUNAWAY_CHARS_PER_S = 10.0
"""Characters per second of speech no one says: Mandarin runs at 4-7 syllables a second."""
RUNAWAY_SLACK = 6
"""Characters allowed on top of the rate (a short piece still gets a short sentence)."""
RUNAWAY_COMPRESSION = 2.4
"""Whisper's own sign of a decoding loop: its text compresses better than this (zlib)."""
"""Characters a decoded segment may share in a row with the prompt before it counts as an echo."""


def lexicon_words(lexicon: LexiconFile) -> list[list[str]]:
    """Each rule's phrases, one list per rule, in the file's order.

    A sequence rule's last group comes first: it names the thing (公安, 减免), while its
    first groups are the everyday words that lead up to it (我是, 可以).
    """
    return [
        [*rule.phrases, *(phrase for group in reversed(rule.sequence) for phrase in group)]
        for rule in lexicon.rules
    ]


def domain_prompt(per_rule: Sequence[Sequence[str]], budget: int) -> str:
    """At most ``budget`` characters of vocabulary, taken from every rule in turn.

    Round-robin over the rules, so every rule (an admin's new one too) is in the
    prompt before any rule gets its second word. A phrase that contains a word
    already chosen adds nothing and is skipped; phrases in the first person or
    addressed to "you" are everyday speech the model hears well, and skipped too.
    Empty when ``budget`` is 0.
    """
    queues = [[w for w in words if _useful(w)] for words in per_rule]
    chosen: list[str] = []
    used = 0
    while budget > 0 and any(queues):
        for queue in queues:
            while queue:
                word = queue.pop(0)
                if any(c in word for c in chosen):
                    continue
                if used + len(word) + 1 <= budget:
                    chosen.append(word)
                    used += len(word) + 1
                break
        if used + MIN_WORD + 1 > budget:
            break
    return PROMPT_HEAD + "、".join(chosen) + "。" if chosen else ""


def _useful(word: str) -> bool:
    han = [c for c in word if "\u4e00" <= c <= "\u9fff"]
    return MIN_WORD <= len(han) == len(word) <= MAX_WORD and not any(c in word for c in "我你")


def _plain(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def is_echo(text: str, prompt: str) -> bool:
    """Whether a decoded segment repeats the prompt rather than transcribing speech.

    An echo shares a long run of characters with the prompt: ``ECHO_SHARED`` in a
    row (the prompt's words never stand in that order in real speech), or the
    whole segment when it is shorter (but at least four characters: a real
    utterance may well be a single lexicon word like 减免).
    """
    said, given = _plain(text), _plain(prompt)
    if len(said) < 4 or not given:
        return False
    return _longest_common_run(said, given) >= min(ECHO_SHARED, len(said))


def _longest_common_run(a: str, b: str) -> int:
    best = 0
    row = [0] * (len(b) + 1)
    for ca in a:
        previous = 0
        for j, cb in enumerate(b, start=1):
            previous, row[j] = row[j], previous + 1 if ca == cb else 0
            best = max(best, row[j])
    return best


def is_runaway(text: str, seconds: float) -> bool:
    """Whether a piece's text is a decoding loop rather than what was said.

    A prompt makes base loop on short pieces (a 0.6 s "喂？" came back as
    "担心,担心,担心…" for 448 tokens). A loop is longer than anyone speaks in the
    piece's time, or repeats itself so much that it compresses like Whisper's own
    fallback test says a loop does.
    """
    plain = _plain(text)
    if len(plain) > RUNAWAY_CHARS_PER_S * seconds + RUNAWAY_SLACK:
        return True
    raw = text.encode()
    return len(plain) >= 12 and len(raw) / len(zlib.compress(raw)) > RUNAWAY_COMPRESSION
