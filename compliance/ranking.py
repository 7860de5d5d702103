"""The monthly ranking of collectors (月度排名) and the reverse audit's sample (倒查抽样).
Pure: team progress's figures in (:class:`compliance.team_progress.Measures`), positions out.

**Who is ranked**: the agents who dialled on at least one day of the month; an agent who
did not (leave, a new hire) is listed apart, never ranked last for being absent.

**Score**: for each configured measure, an agent's standing among the ranked agents is the
share of the others they do better than, a tie counting half (0 worst … 1 best; a lone
agent stands at 1). Raw figures are in different units (yuan, a rate, a count), so they
are compared by order, never added. A measure an agent has no figure for (no promise due,
no call to divide by) counts as worse than any figure: being ranked low only means being
audited. The score is the weighted mean of the standings, kept as an exact fraction, so
two agents tie only when they really are level.

**Ties** are broken, in this order: the measures' own figures in the configured order
(better first), then the agent's code (alphabetical). Every agent gets a distinct position.

**Sample**: each of the bottom N agents' candidate cases gets a ticket, the sha256 of the
seed, the month, the agent and the case; the K lowest tickets are drawn. The same month,
seed and candidates always draw the same cases, in the same order, whatever order the
database returned them in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from compliance.team_progress import Measures


class Measure(StrEnum):
    """The figures a ranking may use; ``config.settings.RankingMeasureName`` lists the same."""

    RECOVERED = "recovered"
    RECOVERY_RATE = "recovery_rate"
    CONTACT_RATE = "contact_rate"
    CASES_WORKED = "cases_worked"
    PROMISES_KEPT = "promises_kept"
    TALK_TIME = "talk_time"
    COVERAGE = "coverage"
    FLAGS_PER_100 = "flags_per_100"
    QA_FINDINGS = "qa_findings"
    COMPLAINTS = "complaints"


FINDING_VERDICTS = ("rectification", "penalty")
"""QA's verdicts that uphold a flag as a finding (责令整改, 处罚); ``store.enums.Verdict``."""

Figure = int | float | None


def _qa_findings(m: Measures) -> int:
    return sum(m.verdicts[verdict] for verdict in FINDING_VERDICTS)


FIGURES: dict[Measure, Callable[[Measures], Figure]] = {
    Measure.RECOVERED: lambda m: m.recovered_cents,
    Measure.RECOVERY_RATE: lambda m: m.recovery_rate,
    Measure.CONTACT_RATE: lambda m: m.contact_rate,
    Measure.CASES_WORKED: lambda m: m.cases_worked,
    Measure.PROMISES_KEPT: lambda m: m.kept,
    Measure.TALK_TIME: lambda m: m.talk_s,
    Measure.COVERAGE: lambda m: m.coverage,
    Measure.FLAGS_PER_100: lambda m: m.flags_per_100,
    Measure.QA_FINDINGS: _qa_findings,
    Measure.COMPLAINTS: lambda m: m.complaints,
}

LABELS = {
    Measure.RECOVERED: "回款 Recovered",
    Measure.RECOVERY_RATE: "回款率 Recovery rate",
    Measure.CONTACT_RATE: "接通率 Contact rate",
    Measure.CASES_WORKED: "作业案件 Cases worked",
    Measure.PROMISES_KEPT: "已履约承诺 Promises kept",
    Measure.TALK_TIME: "通话时长 Talk time",
    Measure.COVERAGE: "新案覆盖率 Coverage",
    Measure.FLAGS_PER_100: "每百通标记 Flags per 100 calls",
    Measure.QA_FINDINGS: "质检成立 QA findings",
    Measure.COMPLAINTS: "投诉 Complaints",
}


@dataclass(frozen=True)
class Criterion:
    """One measure of the ranking: how much it weighs and which way is better."""

    measure: Measure
    weight: Fraction
    higher_is_better: bool


@dataclass(frozen=True)
class Ranked:
    agent_id: int
    code: str
    position: int
    """1 is the best; every ranked agent has their own."""
    score: Fraction
    """The weighted mean of the standings, 0 … 1."""
    figures: tuple[Figure, ...]
    """Each criterion's raw figure, in the criteria's order."""
    standings: tuple[Fraction, ...]


@dataclass(frozen=True)
class Ranking:
    ranked: list[Ranked]
    """By position."""
    unranked: list[int]
    """Agents who did not dial in the month, by code."""

    def bottom(self, count: int) -> list[Ranked]:
        """The last ``count`` positions, worst last."""
        return self.ranked[max(0, len(self.ranked) - count) :] if count > 0 else []


def _merit(figure: Figure, higher_is_better: bool) -> tuple[int, float]:
    """A sort key: larger is better; no figure is worse than any."""
    if figure is None:
        return (0, 0.0)
    return (1, float(figure) if higher_is_better else -float(figure))


def _standing(mine: tuple[int, float], others: Iterable[tuple[int, float]]) -> Fraction:
    seen = list(others)
    if not seen:
        return Fraction(1)
    better = sum(mine > other for other in seen)
    level = sum(mine == other for other in seen)
    return Fraction(2 * better + level, 2 * len(seen))


def rank(
    measures: Mapping[int, Measures], codes: Mapping[int, str], criteria: Sequence[Criterion]
) -> Ranking:
    """The month's ranking of the agents in ``measures`` (``codes`` names each)."""
    if not criteria:
        raise ValueError("a ranking needs at least one measure")
    total_weight = sum(c.weight for c in criteria)
    if total_weight <= 0:
        raise ValueError("the measures' weights must add up to more than 0")
    worked = sorted((a for a, m in measures.items() if m.days_worked > 0), key=codes.__getitem__)
    unranked = sorted(set(measures) - set(worked), key=codes.__getitem__)
    figures = {a: tuple(FIGURES[c.measure](measures[a]) for c in criteria) for a in worked}
    merits = {
        a: tuple(_merit(f, c.higher_is_better) for f, c in zip(figures[a], criteria, strict=True))
        for a in worked
    }
    found = []
    for agent in worked:
        standings = tuple(
            _standing(merits[agent][i], (merits[o][i] for o in worked if o != agent))
            for i in range(len(criteria))
        )
        score = sum((s * c.weight for s, c in zip(standings, criteria, strict=True)), Fraction(0))
        found.append((agent, score / total_weight, standings))

    def order(item: tuple[int, Fraction, tuple[Fraction, ...]]) -> tuple[object, ...]:
        agent, score, _ = item
        return (-score, tuple((-k, -v) for k, v in merits[agent]), codes[agent])

    found.sort(key=order)
    ranked = [
        Ranked(agent, codes[agent], n, score, figures[agent], standings)
        for n, (agent, score, standings) in enumerate(found, start=1)
    ]
    return Ranking(ranked, unranked)


def ticket(seed: str, month: date, agent_id: int, case_id: int) -> str:
    """A case's place in the draw: fixed by the seed, the month, the agent and the case."""
    text = f"{seed}\x1f{month:%Y-%m}\x1f{agent_id}\x1f{case_id}"
    return hashlib.sha256(text.encode()).hexdigest()


def draw_cases(
    candidates: Iterable[int], *, seed: str, month: date, agent_id: int, count: int
) -> list[int]:
    """The ``count`` candidate cases with the lowest tickets, lowest first (all if fewer)."""
    unique = set(candidates)
    return sorted(unique, key=lambda case_id: ticket(seed, month, agent_id, case_id))[:count]


@dataclass(frozen=True)
class Findings:
    """What the reverse audit found for one agent and month."""

    sampled: int = 0
    reviewed: int = 0
    """Cases on which QA gave both verdicts."""
    class_mismatches: int = 0
    """The A/B/C/D class did not match what the recordings show."""
    notes_mismatches: int = 0
    """The notes did not match what the recordings show."""


def findings(verdicts: Iterable[tuple[bool | None, bool | None]]) -> Findings:
    """Sum up one agent's sampled cases: each is (class matches, notes match), None while
    QA has not judged that side."""
    rows = list(verdicts)
    return Findings(
        sampled=len(rows),
        reviewed=sum(c is not None and n is not None for c, n in rows),
        class_mismatches=sum(c is False for c, _ in rows),
        notes_mismatches=sum(n is False for _, n in rows),
    )
