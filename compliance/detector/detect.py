"""The detector: utterances + call context in, flags out. Pure: no clock, no I/O.

A rule's hit becomes a flag when the speaker can produce its category (agent
violations from agent speech, callee events from callee speech; a mono call's
``unknown`` speech can produce either), the contact fits (third-party
categories only when the contact is not the debtor), and no clearing context
of its category surrounds it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate

from compliance.detector.classifier import weigh
from compliance.detector.findings import (
    DETECTOR_VERSION,
    CallContext,
    Detection,
    Flag,
    Review,
    Suppressed,
    Utterance,
    model_flag,
    model_review,
)
from compliance.detector.index import Hit, PhraseEntry, PhraseIndex
from compliance.detector.sound import Spellings, spell
from compliance.detector.spans import KIND_RANK, Rule, Span, hits_of, same, spans
from compliance.lexicon import SEVERITY_RANK, LexiconFile


@dataclass(frozen=True)
class _Clear:
    id: str
    categories: frozenset[str]
    before: frozenset[int]
    after: frozenset[int]
    sentence: frozenset[int]
    window: int
    inside_quotes: bool


class Detector:
    """A lexicon compiled once; ``detect`` is then called per call.

    ``prefilter=False`` searches every utterance for every rule and prices every
    stretch of it by sound: far slower, and the reference that the prefiltered
    detector must agree with (no stage may drop what the full search flags).
    """

    def __init__(self, lexicon: LexiconFile, prefilter: bool = True) -> None:
        self.lexicon = lexicon
        self._prefilter = prefilter
        trained = lexicon.trained
        self._trained = trained
        model = f"+{trained.version}" if trained is not None else ""
        self.version = f"{DETECTOR_VERSION}/{lexicon.version}{model}"[:40]
        entries: list[PhraseEntry] = []

        def numbered(
            phrases: Iterable[str], pinyin_min: int | None, fuzzy_min: int | None
        ) -> frozenset[int]:
            # A rule's phrases are also looked for as weak matches; clearing words are not.
            review = lexicon.weak_matches and fuzzy_min is not None
            start = len(entries)
            entries.extend(PhraseEntry(phrase, pinyin_min, fuzzy_min, review) for phrase in phrases)
            return frozenset(range(start, len(entries)))

        self._rules: list[Rule] = []
        for rule in lexicon.rules:
            pinyin_min = rule.pinyin_min_syllables or lexicon.pinyin_min_syllables
            fuzzy_min = rule.fuzzy_min_syllables or lexicon.fuzzy_min_syllables
            groups = rule.sequence or (rule.phrases,)
            severity = rule.severity or lexicon.categories[rule.category].severity
            self._rules.append(
                Rule(
                    id=rule.id,
                    category=rule.category,
                    severity=SEVERITY_RANK[severity],
                    groups=tuple(numbered(group, pinyin_min, fuzzy_min) for group in groups),
                    within=rule.within,
                )
            )
        self._clears = [
            _Clear(
                id=clear.id,
                categories=frozenset(clear.categories),
                before=numbered(clear.before, 2, None),
                after=numbered(clear.after, 2, None),
                sentence=numbered(clear.sentence, 2, None),
                window=clear.window,
                inside_quotes=clear.inside_quotes,
            )
            for clear in lexicon.clears
        ]
        self._index = PhraseIndex(entries, exhaustive=not prefilter)
        self._needs, self._filter_counts, self._triggers = self._stage_one(entries, lexicon)
        self._third_party_only = frozenset(
            name for name, spec in lexicon.categories.items() if spec.contact != "any"
        )
        self._categories: dict[tuple[str, bool], frozenset[str]] = {
            (speaker, third_party): frozenset(
                name
                for name, spec in lexicon.categories.items()
                if speaker in ("unknown", spec.speaker) and (spec.contact == "any" or third_party)
            )
            for speaker in ("agent", "callee", "unknown")
            for third_party in (True, False)
        }

    def _stage_one(
        self, entries: list[PhraseEntry], lexicon: LexiconFile
    ) -> tuple[dict[int, list[tuple[int, int]]], list[int], dict[bool, PhraseIndex]]:
        """What stage one looks for: phrase → the (rule, filter) pairs it fills, each rule's
        number of filters, and the phrase index for calls to third parties / to the debtor.

        An utterance is searched for everything (all groups, clears) only where some rule
        heard all its telling groups. A group is telling when it has no everyday word and no
        one-character phrase (你, 去, 打 are in most lines): 利息 … 全免 needs both 利息 and 全免
        heard, so routine talk of interest and fees costs nothing. A rule with no telling
        group is looked for by its most telling one.
        """
        needs: dict[int, list[tuple[int, int]]] = {}
        counts: list[int] = []
        for number, compiled in enumerate(self._rules):
            telling = {g: _telling(entries[p].phrase for p in g) for g in compiled.groups}
            filters = [g for g in compiled.groups if telling[g] >= 2]
            for position, group in enumerate(filters or [max(telling, key=telling.__getitem__)]):
                for phrase in group:
                    needs.setdefault(phrase, []).append((number, position))
            counts.append(len(filters) or 1)
        # Most calls are to the debtor, where third-party categories are off: their telling
        # phrases (欠款, 还款, 逾期: said in nearly every call) need not be looked for at all.
        third_party_only = {
            number
            for number, compiled in enumerate(self._rules)
            if lexicon.categories[compiled.category].contact != "any"
        }
        for_debtor = frozenset(
            phrase
            for phrase, found in needs.items()
            if any(rule not in third_party_only for rule, _ in found)
        )
        triggers = {
            True: PhraseIndex(entries, frozenset(needs)),
            False: PhraseIndex(entries, for_debtor),
        }
        return needs, counts, triggers

    def detect(self, utterances: Sequence[Utterance], context: CallContext) -> Detection:
        flags: dict[tuple[int, str], Flag] = {}
        suppressed: list[Suppressed] = []
        third_party = context.contact_type != "debtor"
        # One pass over the whole call: the lines joined by a sentence break, spelt and
        # scanned at C speed; Python only looks at the utterances that had hits.
        joined = "\n".join(u.text for u in utterances)
        spelt = spell(joined)
        offsets = list(accumulate((len(u.text) + 1 for u in utterances[:-1]), initial=0))
        if self._prefilter:
            heard = self._triggers[third_party].heard(spelt)
            # most calls: no rule's telling phrase was said, and only the model looks further
            todo = self._candidates(heard, offsets, utterances, third_party) if heard else ()
        else:
            todo = self._everything(utterances, third_party)
        reviews: dict[tuple[int, str], Review] = {}
        for number, rules in todo:
            utterance = utterances[number]
            begin = offsets[number]
            hits: dict[int, list[Hit]] = {}
            weak: dict[int, list[Hit]] = {}
            for hit in self._index.find(spelt, begin, begin + len(utterance.text)):
                (weak if hit.weak else hits).setdefault(hit.phrase, []).append(hit)
            for span in spans(rules, hits, spelt):
                clear = self._clearing(span, hits, spelt)
                matched = joined[span.start : span.end]
                if clear is not None:
                    suppressed.append(
                        Suppressed(span.rule.category, span.rule.id, clear, number, matched)
                    )
                    continue
                flag = self._flag(span, utterance, matched, offsets[number])
                key = (number, span.rule.category)
                if key not in flags or _better(flag, flags[key]):
                    flags[key] = flag
            if weak:
                unflagged = [rule for rule in rules if (number, rule.category) not in flags]
                for span in self._weak(unflagged, hits, weak, spelt):
                    said = Review(
                        category=span.rule.category,
                        rule_id=span.rule.id,
                        speaker=utterance.speaker,
                        start=utterance.start,
                        end=utterance.end,
                        evidence=utterance.text,
                        matched=joined[span.start : span.end],
                        char_start=span.start - begin,
                        char_end=span.end - begin,
                        cost=span.cost,
                    )
                    key = (number, span.rule.category)
                    if key not in reviews or said.cost < reviews[key].cost:
                        reviews[key] = said
        if self._trained is not None:
            call = (joined, spelt, offsets)
            self._weigh(utterances, context.contact_type, call, (flags, reviews, suppressed))
        ordered = sorted(flags.values(), key=lambda f: (f.start, f.category))
        listen = sorted(reviews.values(), key=lambda r: (r.start, r.category))
        # Sorted, as the flags are: the prefilter and the full search meet rules in other orders.
        suppressed.sort(key=lambda s: (s.utterance, s.category, s.rule_id, s.clear_id, s.matched))
        return Detection(tuple(ordered), tuple(suppressed), tuple(listen))

    def _weigh(
        self,
        utterances: Sequence[Utterance],
        contact: str,
        call: tuple[str, Spellings, list[int]],
        found: tuple[dict[tuple[int, str], Flag], dict[tuple[int, str], Review], list[Suppressed]],
    ) -> None:
        """The model's say where no rule spoke: a flag from ``flag_at``, a line for QA to
        listen to from ``review_at`` (a rule's flag or weak match on the line comes first),
        unless a clearing context of the category (a negation, quotation marks, the
        compliant script) surrounds the words that weighed most, or cleared a rule's hit of
        the category on the line (the rule saw the words; the context says they are fine)."""
        assert self._trained is not None
        joined, spelt, offsets = call
        flags, reviews, suppressed = found
        cleared = {(s.utterance, s.category) for s in suppressed}
        # Talk of the debt is only a disclosure to someone known not to be the debtor: the
        # model weighs such talk, so on a call to an unknown party only the rules may say so.
        unsure = self._third_party_only if contact == "unknown" else frozenset()
        for number, utterance in enumerate(utterances):
            allowed = self._categories[(utterance.speaker, contact != "debtor")] - unsure
            begin = offsets[number]
            hits: dict[int, list[Hit]] | None = None
            for said in weigh(self._trained, utterance.text, allowed):
                key = (number, said.category)
                if key in flags or key in cleared:
                    continue
                if hits is None:
                    hits = {}
                    for hit in self._index.find(spelt, begin, begin + len(utterance.text)):
                        if not hit.weak:
                            hits.setdefault(hit.phrase, []).append(hit)
                at, until = said.strongest
                rule = Rule(f"model.{said.category}", said.category, 0, (), 0)
                span = Span(rule, begin + at, begin + until, begin + at, "model")
                clear = self._clearing(span, hits, spelt)
                spec = self.lexicon.categories[said.category]
                if clear is not None:
                    matched = joined[span.start : span.end]
                    suppressed.append(Suppressed(said.category, rule.id, clear, number, matched))
                elif said.probability >= self._trained.categories[said.category].flag_at:
                    flags[key] = model_flag(said, utterance, spec, self.version)
                    reviews.pop(key, None)
                elif key not in reviews:
                    reviews[key] = model_review(said, utterance)

    def _weak(
        self,
        rules: list[Rule],
        hits: dict[int, list[Hit]],
        weak: dict[int, list[Hit]],
        spelt: Spellings,
    ) -> Iterable[Span]:
        """Spans that need a weak hit and that no clearing context turns off."""
        both = {p: [*hits.get(p, ()), *weak.get(p, ())] for p in hits.keys() | weak.keys()}
        for span in spans(rules, both, spelt):
            if span.weak and self._clearing(span, hits, spelt) is None:
                yield span

    def _candidates(
        self,
        heard: list[tuple[int, int]],
        offsets: list[int],
        utterances: Sequence[Utterance],
        third_party: bool,
    ) -> Iterable[tuple[int, list[Rule]]]:
        """Each utterance where some rule this speaker can break heard all its telling groups."""
        filled: dict[int, dict[int, set[int]]] = {}
        for start, phrase in heard:
            number = bisect_right(offsets, start) - 1
            rules = filled.setdefault(number, {})
            for rule, position in self._needs[phrase]:
                rules.setdefault(rule, set()).add(position)
        for number, rules in sorted(filled.items()):
            allowed = self._categories[(utterances[number].speaker, third_party)]
            ready = [
                self._rules[rule]
                for rule, positions in rules.items()
                if len(positions) == self._filter_counts[rule]
                and self._rules[rule].category in allowed
            ]
            if ready:
                yield number, ready

    def _everything(
        self, utterances: Sequence[Utterance], third_party: bool
    ) -> Iterable[tuple[int, list[Rule]]]:
        for number, utterance in enumerate(utterances):
            allowed = self._categories[(utterance.speaker, third_party)]
            yield number, [rule for rule in self._rules if rule.category in allowed]

    def _clearing(self, span: Span, hits: dict[int, list[Hit]], spelt: Spellings) -> str | None:
        clause = spelt.clause(span.start)
        for clear in self._clears:
            if span.rule.category not in clear.categories:
                continue
            if clear.inside_quotes and spelt.quoted(span.start, span.end):
                return clear.id
            for hit in hits_of(clear.before, hits):
                gap = span.core - hit.end
                if hit.start < span.core and gap <= clear.window and same(spelt, hit, clause):
                    return clear.id
            for hit in hits_of(clear.after, hits):
                gap = hit.start - span.end
                if 0 <= gap <= clear.window and same(spelt, hit, clause):
                    return clear.id
            sentence = spelt.sentence(span.start)
            if any(spelt.sentence(h.start) == sentence for h in hits_of(clear.sentence, hits)):
                return clear.id
        return None

    def _flag(self, span: Span, utterance: Utterance, matched: str, offset: int) -> Flag:
        spec = self.lexicon.categories[span.rule.category]
        return Flag(
            category=span.rule.category,
            kind=spec.kind,
            severity=span.rule.severity,
            speaker=utterance.speaker,
            start=utterance.start,
            end=utterance.end,
            evidence=utterance.text,
            matched=matched,
            char_start=span.start - offset,
            char_end=span.end - offset,
            rule_id=span.rule.id,
            match=span.kind,
            detector_version=self.version,
        )


_EVERYDAY_WORDS = "你 您 我 他 她 它 你们 我们 他们 是 的 了 不 在 有 这 那 就 也 都 要 会 说"
EVERYDAY = frozenset(_EVERYDAY_WORDS.split())
"""Words in nearly every sentence: a poor sign that a rule might fire."""


def _telling(phrases: Iterable[str]) -> int:
    return min(0 if phrase in EVERYDAY else len(phrase) for phrase in phrases)


def _better(new: Flag, old: Flag) -> bool:
    """Keep the most severe, then the most exact, then the earliest, then the longest hit, then
    the first rule by id: a total order, so the flag kept never depends on the order rules were
    tried in (the prefilter and the full search try them in different orders)."""
    return _rank(new) < _rank(old)


def _rank(flag: Flag) -> tuple[int, int, int, int, str]:
    length = flag.char_end - flag.char_start
    return (-flag.severity, KIND_RANK[flag.match], flag.char_start, -length, flag.rule_id)
