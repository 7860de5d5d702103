"""``[ranking]``: the monthly ranking (月度排名) and the reverse audit (倒查) of its bottom
collectors, validated at load like every section."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from config.sections import Section as _Section

RankingMeasureName = Literal[
    "recovered",
    "recovery_rate",
    "contact_rate",
    "cases_worked",
    "promises_kept",
    "talk_time",
    "coverage",
    "flags_per_100",
    "qa_findings",
    "complaints",
]
"""The team-progress figures a ranking may use (``compliance.ranking.Measure``)."""


class RankingMeasure(_Section):
    """One measure of the monthly ranking: its weight and which way is better."""

    measure: RankingMeasureName
    weight: float = Field(gt=0, le=1000, strict=False)
    better: Literal["higher", "lower"]


def _default_ranking_measures() -> tuple[RankingMeasure, ...]:
    return (
        RankingMeasure(measure="recovered", weight=4, better="higher"),
        RankingMeasure(measure="contact_rate", weight=2, better="higher"),
        RankingMeasure(measure="promises_kept", weight=2, better="higher"),
        RankingMeasure(measure="flags_per_100", weight=1, better="lower"),
        RankingMeasure(measure="qa_findings", weight=1, better="lower"),
    )


class RankingSettings(_Section):
    """The monthly ranking (月度排名) and the reverse audit (倒查) of its bottom collectors."""

    measures: tuple[RankingMeasure, ...] = Field(
        default_factory=_default_ranking_measures, min_length=1, strict=False
    )
    """Ranked on these, each agent's standing per measure weighted (compliance.ranking)."""
    bottom_n: int = Field(default=3, ge=0, le=1000)
    """The last this many collectors of the month get a reverse audit."""
    sample_per_agent: int = Field(default=5, ge=1, le=1000)
    """Cases drawn for QA per audited collector."""
    audit_seed: str = Field(default="", max_length=200)
    """The draw's seed (the same month and seed draw the same cases); empty: a random one
    is made at the draw and kept with it."""

    @model_validator(mode="after")
    def _distinct(self) -> RankingSettings:
        names = [m.measure for m in self.measures]
        if len(set(names)) != len(names):
            raise ValueError(f"a measure is named twice: {names}")
        return self
