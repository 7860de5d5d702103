"""The detector lexicon as typed data: categories, matching rules, clearing contexts.

A lexicon is a TOML file an admin edits (``config/lexicon/*.toml``). Each rule
names phrases (any one matches) or a sequence of phrase groups (each group
found after the previous one, at most ``within`` characters later, inside one
clause). A clearing context names words that, found around a hit, show it is
not a violation: a negation before it, the compliant waiver script anywhere in
the sentence, quotation marks around it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from compliance.lexicon.trained import ClassifierModel
from compliance.said import N_, SaidError

Severity = Literal["low", "medium", "high"]
SEVERITY_RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3}

Phrase = str


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _no_blank(phrases: tuple[str, ...]) -> tuple[str, ...]:
    for index, phrase in enumerate(phrases):
        if not phrase.strip():
            raise SaidError(N_("第 %(n)s 个短语是空的"), n=index + 1)
    return tuple(phrase.strip() for phrase in phrases)


class CategorySpec(_Spec):
    """A category of flag: who can produce it and to whom it applies."""

    title: str = Field(min_length=1)
    """The name QA sees, e.g. 冒充公检法."""
    speaker: Literal["agent", "callee"]
    """Flags of this category come only from this side's speech."""
    severity: Severity = "medium"
    contact: Literal["any", "third_party"] = "any"
    """``third_party``: only on calls whose contact is not the debtor."""
    kind: Literal["violation", "event"] = "violation"
    """``event``: the called party's words that change the dial schedule."""


class RuleSpec(_Spec):
    """Phrases (any one) or a sequence of phrase groups that signal a category."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_.\-]+$")
    category: str
    severity: Severity | None = None
    """Overrides the category's severity."""
    phrases: tuple[Phrase, ...] = ()
    sequence: tuple[tuple[Phrase, ...], ...] = ()
    within: int = Field(default=8, ge=0, le=40)
    """Most characters between one sequence group and the next."""
    pinyin_min_syllables: int | None = Field(default=None, ge=1)
    """Overrides the lexicon's: shortest phrase matched by toneless pinyin (homophones)."""
    fuzzy_min_syllables: int | None = Field(default=None, ge=1)
    """Overrides the lexicon's: shortest phrase matched when near in sound (confused
    initials and finals, within a budget that grows with the phrase's length)."""
    note: str = ""

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _no_blank(value)

    @field_validator("sequence")
    @classmethod
    def _sequence(cls, value: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
        for index, group in enumerate(value):
            if not group:
                raise SaidError(N_("第 %(n)s 组是空的"), n=index + 1)
        return tuple(_no_blank(group) for group in value)

    @model_validator(mode="after")
    def _one_form(self) -> RuleSpec:
        if bool(self.phrases) == bool(self.sequence):
            raise SaidError(N_("phrases 与 sequence 只能且必须写一个"))
        if self.sequence and len(self.sequence) < 2:
            raise SaidError(N_("sequence 至少要两组（只有一组请用 phrases）"))
        return self


class ClearSpec(_Spec):
    """Words around a hit that show it is not a violation (or not an event)."""

    id: str = Field(min_length=1, pattern=r"^[a-z0-9_.\-]+$")
    categories: tuple[str, ...] = Field(min_length=1)
    before: tuple[Phrase, ...] = ()
    """Found in the hit's clause, ending at most ``window`` characters before it."""
    after: tuple[Phrase, ...] = ()
    """Found in the hit's clause, starting at most ``window`` characters after it."""
    window: int = Field(default=6, ge=0, le=40)
    sentence: tuple[Phrase, ...] = ()
    """Found anywhere in the hit's sentence."""
    inside_quotes: bool = False
    """The hit lies inside quotation marks (“…”, 「…」, "…")."""
    note: str = ""

    @field_validator("before", "after", "sentence")
    @classmethod
    def _phrases(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _no_blank(value)

    @model_validator(mode="after")
    def _some_context(self) -> ClearSpec:
        if not (self.before or self.after or self.sentence or self.inside_quotes):
            raise SaidError(N_("请写 before、after、sentence 或 inside_quotes"))
        return self


class LexiconFile(_Spec):
    """One lexicon file, validated."""

    version: str = Field(min_length=1)
    description: str = ""
    pinyin_min_syllables: int = Field(default=3, ge=1)
    """Phrases with at least this many syllables also match by toneless pinyin.

    Two-syllable homophones are everywhere in names (套现 ~ 涛先), so short
    phrases match as written unless a rule lowers this."""
    fuzzy_min_syllables: int = Field(default=3, ge=1)
    """Phrases with at least this many syllables also match when near in sound (see
    compliance.detector.confusion: one confusion for 2-3 syllables, two for 4-5…)."""
    weak_matches: bool = True
    """Report weak sound matches (one confusion past what flags) for QA to listen to."""
    categories: dict[str, CategorySpec] = Field(min_length=1)
    rules: tuple[RuleSpec, ...] = Field(min_length=1)
    clears: tuple[ClearSpec, ...] = ()
    classifier: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]+\.model\.json$")
    """The detector model's weights (``NAME.model.json``), looked for beside this file, then
    among the shipped lexicons; None: the rules alone decide."""
    _trained: ClassifierModel | None = PrivateAttr(default=None)

    @property
    def trained(self) -> ClassifierModel | None:
        """The weights ``classifier`` names, once the loader has read them."""
        return self._trained

    def with_trained(self, trained: ClassifierModel | None) -> LexiconFile:
        copy = self.model_copy()
        copy._trained = trained
        return copy
