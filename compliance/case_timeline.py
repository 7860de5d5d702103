"""A case's history as one time-ordered list (案件时间线). Pure: events in, ordered entries out.

The store reads a case's calls, notes, promises, payments, holds, consents and complaints
(:mod:`store.case_timeline`) and hands each over as an :class:`Event`; this module only
decides their order, so that the order is the same on every page and in every test:

- newest first, by the instant (an aware datetime) the event happened;
- at the same instant, in the order things happen on a call (the call, then its note,
  then the promise written in that note, a payment, a hold placed and later cleared, a
  consent, a complaint), shown reversed like the instants;
- then by the row's id, newest first, so two rows of one kind at one instant never swap.

An event without a time zone is refused: mixed with aware ones it could not be placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from compliance.errors import TimelineError


class EntryKind(StrEnum):
    """What an entry is, in the order events of one instant happen (see the module doc)."""

    CALL = "call"
    NOTE = "note"
    PROMISE = "promise"
    PAYMENT = "payment"
    HOLD = "hold"
    HOLD_CLEARED = "hold_cleared"
    CONSENT = "consent"
    COMPLAINT = "complaint"


_RANK = {kind: rank for rank, kind in enumerate(EntryKind)}
T = TypeVar("T")


@dataclass(frozen=True)
class Event(Generic[T]):
    """One thing that happened on a case; ``body`` is what a page shows of it."""

    at: datetime
    """When it happened (aware)."""
    kind: EntryKind
    ref_id: int
    """The id of the row it was read from (a call attempt, a note, a payment, …)."""
    body: T


def order_timeline(events: Iterable[Event[T]]) -> list[Event[T]]:
    """The events newest first, ties broken by kind and then by id (module doc)."""
    listed = list(events)
    for event in listed:
        if event.at.tzinfo is None or event.at.utcoffset() is None:
            raise TimelineError(f"{event.kind.value} {event.ref_id}: time without a zone")
    return sorted(listed, key=lambda e: (e.at, _RANK[e.kind], e.ref_id), reverse=True)
