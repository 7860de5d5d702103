"""Keyword QA, the baseline the detector must beat: any sensitive word, anyone, anywhere.

Its keywords are the lexicon's own phrases (and, of each sequence, the group
of longest words: the sensitive words themselves; single characters are not
keywords), matched as written in every utterance
whoever spoke and whoever was called, with no clearing context. That is how
keyword QA works in the field, and why it flags so many compliant sentences.
"""

from __future__ import annotations

from collections.abc import Sequence

import ahocorasick

from compliance.detector import CallContext, Flag, Utterance
from compliance.detector.sound import normalise
from compliance.lexicon import SEVERITY_RANK, LexiconFile


class KeywordBaseline:
    name = "keywords"

    def __init__(self, lexicon: LexiconFile) -> None:
        self.lexicon = lexicon
        self._automaton = ahocorasick.Automaton()
        words: dict[str, set[str]] = {}
        for rule in lexicon.rules:
            keywords = (
                max(rule.sequence, key=lambda group: min(len(w) for w in group))
                if rule.sequence
                else rule.phrases
            )
            for word in (w for w in keywords if len(w) > 1):
                words.setdefault(normalise(word), set()).add(rule.category)
        for word, categories in words.items():
            self._automaton.add_word(word, (word, tuple(sorted(categories))))
        self._automaton.make_automaton()

    def detect(self, utterances: Sequence[Utterance], context: CallContext) -> list[Flag]:
        del context  # keyword QA does not know who was called
        flags: list[Flag] = []
        for utterance in utterances:
            found: dict[str, tuple[int, str]] = {}
            for last, (word, categories) in self._automaton.iter(normalise(utterance.text)):
                for category in categories:
                    found.setdefault(category, (last + 1 - len(word), word))
            for category, (start, word) in sorted(found.items()):
                spec = self.lexicon.categories[category]
                flags.append(
                    Flag(
                        category=category,
                        kind=spec.kind,
                        severity=SEVERITY_RANK[spec.severity],
                        speaker=utterance.speaker,
                        start=utterance.start,
                        end=utterance.end,
                        evidence=utterance.text,
                        matched=word,
                        char_start=start,
                        char_end=start + len(word),
                        rule_id=f"keyword:{word}",
                        match="text",
                        detector_version="keywords",
                    )
                )
        return flags
