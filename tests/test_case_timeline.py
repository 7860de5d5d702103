"""The case timeline's order (compliance.case_timeline): pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.case_timeline import EntryKind, Event, order_timeline
from compliance.errors import TimelineError

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _ev(minutes: int, kind: EntryKind, ref: int) -> Event[str]:
    return Event(T0 + timedelta(minutes=minutes), kind, ref, f"{kind.value}#{ref}")


def test_newest_first() -> None:
    events = [_ev(0, EntryKind.CALL, 1), _ev(30, EntryKind.PAYMENT, 2), _ev(10, EntryKind.HOLD, 3)]
    assert [e.body for e in order_timeline(events)] == ["payment#2", "hold#3", "call#1"]


def test_one_instant_reads_as_the_call_then_its_note_then_its_promise_reversed() -> None:
    """A note saved at the instant its call ended sits above the call, its promise above it."""
    events = [
        _ev(0, EntryKind.PROMISE, 7),
        _ev(0, EntryKind.CALL, 9),
        _ev(0, EntryKind.COMPLAINT, 1),
        _ev(0, EntryKind.NOTE, 7),
    ]
    assert [e.kind for e in order_timeline(events)] == [
        EntryKind.COMPLAINT,
        EntryKind.PROMISE,
        EntryKind.NOTE,
        EntryKind.CALL,
    ]


def test_same_kind_same_instant_by_id_newest_first() -> None:
    events = [
        _ev(0, EntryKind.PAYMENT, 4),
        _ev(0, EntryKind.PAYMENT, 12),
        _ev(0, EntryKind.PAYMENT, 5),
    ]
    assert [e.ref_id for e in order_timeline(events)] == [12, 5, 4]


def test_instants_in_other_zones_are_compared_as_instants() -> None:
    shanghai = timezone(timedelta(hours=8))
    late_utc = Event(T0 + timedelta(hours=1), EntryKind.NOTE, 1, "utc")
    early_local = Event(T0.astimezone(shanghai), EntryKind.NOTE, 2, "local")  # 10:00 +08 = 02:00Z
    assert [e.body for e in order_timeline([early_local, late_utc])] == ["utc", "local"]


def test_a_time_without_a_zone_is_refused() -> None:
    naive = Event(datetime(2026, 12, 1, 10, 0), EntryKind.CALL, 3, "x")
    with pytest.raises(TimelineError, match="call 3"):
        order_timeline([naive])


def test_empty() -> None:
    assert order_timeline([]) == []


_events = st.lists(
    st.builds(
        _ev,
        st.integers(min_value=0, max_value=5),
        st.sampled_from(list(EntryKind)),
        st.integers(min_value=1, max_value=4),
    ),
    max_size=12,
)


@given(_events)
def test_the_order_does_not_depend_on_the_order_read(events: list[Event[str]]) -> None:
    ordered = order_timeline(events)
    assert order_timeline(list(reversed(events))) == ordered
    assert sorted(map(repr, ordered)) == sorted(map(repr, events))
    assert all(a.at >= b.at for a, b in pairwise(ordered))
