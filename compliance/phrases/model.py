"""The approved phrases as typed data: situations, each with its wording and who hears it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from compliance.said import N_, SaidError

Audience = Literal["debtor", "third_party", "any"]


class SituationSpec(BaseModel):
    """One situation of the side panel: what to say in it, and to whom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=60)
    when: str = Field(default="", max_length=200)
    """When to use it, one line for the agent."""
    audience: Audience
    """Who hears the phrases; the detector vets them as said to this side (``any``: both)."""
    phrases: tuple[str, ...] = Field(min_length=1, max_length=40)
    cues: tuple[str, ...] = Field(default=(), max_length=100)
    """Words that, said by the called party or written in a note of the case, call for it."""

    @field_validator("phrases", "cues")
    @classmethod
    def _no_blank(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for index, value in enumerate(values):
            if not value.strip():
                raise SaidError(N_("第 %(n)s 条是空的"), n=index + 1)
            if len(value) > 300:
                raise SaidError(N_("第 %(n)s 条超过 300 个字符"), n=index + 1)
        return tuple(value.strip() for value in values)


class PhraseBook(BaseModel):
    """A phrases file: its version and its situations, in the file's order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1, max_length=40)
    description: str = ""
    situations: dict[str, SituationSpec]
