"""Pure dial decisions per second on one core, cn-default and us-regf.

Baseline, in the same run: the one-shot ``decide()``, which builds a fresh
evaluator (and so recomputes every per-instant check) for each number. The
worklist path reuses one :class:`Evaluator` for all numbers at one instant.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    ContactType,
    Evaluator,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
    Profile,
    decide,
    load_profile,
)
from compliance.policy.zones import zones_for_number

Item = tuple[NumberFacts, PersonFacts, CaseFacts, AttemptHistory]
# Each profile is measured at 10:30 on its own clock, and once at 20:30, when every number is
# blocked and needs its next allowed time searched (the slow path).
INSTANTS = {
    "cn": {
        "10:30": datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
        "20:30": datetime(2026, 12, 1, 12, 30, tzinfo=UTC),
    },
    "us": {
        "10:30": datetime(2026, 12, 1, 15, 30, tzinfo=UTC),
        "21:30": datetime(2026, 12, 2, 2, 30, tzinfo=UTC),
    },
}
NOW = INSTANTS["cn"]["10:30"]


def realistic_items(count: int, country: str, seed: int = 7) -> list[Item]:
    """Numbers with 0–4 recent attempts, a few on hold or do-not-call, like a live book."""
    rng = random.Random(seed)
    contacts = [ContactType.DEBTOR] * 3 + [
        ContactType.FAMILY,
        ContactType.COLLEAGUE,
        ContactType.EMERGENCY,
    ]
    items = []
    for i in range(count):
        e164 = f"+86138{i:08d}" if country == "cn" else f"+1212{5550000 + i % 9999:07d}"
        history = tuple(
            PastAttempt(
                NOW - timedelta(hours=rng.randint(1, 200)),
                i,
                i,
                e164,
                rng.choice((Outcome.CONNECTED, Outcome.UNANSWERED, Outcome.UNANSWERED)),
            )
            for _ in range(rng.choice((0, 0, 1, 2, 4)))
        )
        items.append(
            (
                NumberFacts(
                    e164, do_not_call=rng.random() < 0.01, time_zones=zones_for_number(e164)
                ),
                PersonFacts(i, rng.choice(contacts)),
                CaseFacts(
                    i, "ICBC-CC", hold_reason="complaint_tendency" if rng.random() < 0.02 else None
                ),
                AttemptHistory(tuple(sorted(history, key=lambda a: a.at))),
            )
        )
    return items


def _rate(run: Any, items: list[Item]) -> float:
    started = time.perf_counter()
    run(items)
    return len(items) / (time.perf_counter() - started)


def measure(profile: Profile, items: list[Item], now: datetime) -> dict[str, float]:
    def worklist(batch: list[Item]) -> None:
        evaluator = Evaluator(profile)
        for number, person, case, history in batch:
            evaluator.decide(number, person, case, history, now)

    def one_shot(batch: list[Item]) -> None:
        for number, person, case, history in batch:
            decide(number, person, case, history, now, profile)

    fast = max(_rate(worklist, items) for _ in range(3))
    slow = max(_rate(one_shot, items[: len(items) // 4]) for _ in range(2))
    return {"decisions_per_s": fast, "one_shot_per_s": slow, "speedup": fast / slow}


def run(count: int = 200_000) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, country in (("cn-default", "cn"), ("us-regf", "us")):
        items = realistic_items(count, country)
        for label, now in INSTANTS[country].items():
            results[f"{name} at {label}"] = measure(load_profile(name), items, now)
    return results


def report(results: dict[str, Any]) -> str:
    lines = ["pure dial decisions, one core (callee-local time):"]
    for name, r in results.items():
        lines.append(
            f"  {name:<20} {r['decisions_per_s']:>10,.0f}/s with a shared evaluator "
            f"({r['speedup']:.1f}x the one-shot decide(): {r['one_shot_per_s']:,.0f}/s)"
        )
    return "\n".join(lines)
