"""What retention deletes now, and why: a pure function of the clock's reading, the stored
things with their ages, banks and holds, and the periods. No I/O, no clock.

Four kinds of thing expire separately: a call's recording (the audio), its transcript (the
utterances and what was detected in them), a collection note and a call attempt. They hang
together by foreign keys (a transcript on its recording, a recording and a note on their
attempt), so a thing goes only when everything that hangs on it goes with it or is already
gone; otherwise it waits, and is kept longer than its period, never shorter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from compliance.retention.periods import Kind, RetentionPeriods


@dataclass(frozen=True, order=True)
class Ref:
    """One stored thing: a kind and its id (a transcript's id is its recording's)."""

    kind: Kind
    id: int

    def __str__(self) -> str:
        return f"{self.kind.value}#{self.id}"


@dataclass(frozen=True)
class Item:
    """One stored thing as retention sees it."""

    ref: Ref
    since: datetime
    """When its period starts to run (the call, the note, the transcription), aware."""
    bank: str | None
    """The client bank's code whose periods apply; None: the default periods."""
    case_id: int | None
    """The case whose holds keep it; None: no case (a recording imported on its own)."""
    dependents: frozenset[Ref] = field(default_factory=frozenset)
    """What hangs on it: it may go only with, or after, every one of these."""
    pinned: str = ""
    """Why it is kept whatever its age (evidence another record points at); empty: not."""


@dataclass(frozen=True)
class Expiry:
    """A thing that goes now, and the rule that lets it go."""

    ref: Ref
    rule: str
    """The period that expired, e.g. ``bank.cmb.recordings_days = 1095``."""
    expired_at: datetime
    """``since`` + the period: the first instant it could go."""


@dataclass(frozen=True)
class Kept:
    """A thing past its period that stays, and why."""

    ref: Ref
    why: str


@dataclass(frozen=True)
class Plan:
    """What goes (sorted so that dependents come before what they hang on) and what stays
    although expired. Things younger than their period are in neither."""

    goes: tuple[Expiry, ...]
    kept: tuple[Kept, ...]


_ORDER = {Kind.TRANSCRIPT: 0, Kind.RECORDING: 1, Kind.NOTE: 2, Kind.ATTEMPT: 3}
"""Delete in this order: the foreign keys point from earlier kinds to later ones."""


def decide(
    now: datetime,
    items: Iterable[Item],
    held: Mapping[int, str],
    periods: RetentionPeriods,
) -> Plan:
    """What goes at ``now``: expired, not on a held case (``held``: case id -> why), not
    pinned, and everything hanging on it goes too or is no longer stored."""
    stored = {item.ref: item for item in items}
    kept: dict[Ref, str] = {}
    expiries: dict[Ref, Expiry] = {}
    for ref, item in stored.items():
        days, rule = periods.period(item.bank, ref.kind)
        expired_at = item.since + timedelta(days=days)
        if now < expired_at:
            continue
        if item.case_id is not None and item.case_id in held:
            kept[ref] = f"case {item.case_id} under legal hold: {held[item.case_id]}"
        elif item.pinned:
            kept[ref] = item.pinned
        else:
            expiries[ref] = Expiry(ref, rule, expired_at)
    _wait_for_dependents(stored, expiries, kept)
    goes = sorted(expiries.values(), key=lambda e: (_ORDER[e.ref.kind], e.ref.id))
    return Plan(
        goes=tuple(goes),
        kept=tuple(Kept(ref, why) for ref, why in sorted(kept.items())),
    )


def _wait_for_dependents(
    stored: Mapping[Ref, Item], expiries: dict[Ref, Expiry], kept: dict[Ref, str]
) -> None:
    """Drop from ``expiries`` whatever something stored and staying hangs on, until stable
    (a transcript kept keeps its recording, which keeps its attempt)."""
    changed = True
    while changed:
        changed = False
        for ref in list(expiries):
            staying = sorted(
                dep for dep in stored[ref].dependents if dep in stored and dep not in expiries
            )
            if staying:
                del expiries[ref]
                kept[ref] = f"{staying[0]} hangs on it and stays"
                changed = True
