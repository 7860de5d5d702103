"""Retention's decision over random histories: nothing under hold and nothing younger than its
period ever goes, nothing goes while something hanging on it stays, and whatever is free to
go goes (so a run is never a no-op by accident)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance.retention import (
    MIN_DAYS,
    Item,
    Kind,
    KindDays,
    Ref,
    RetentionPeriods,
    decide,
)

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
BANKS = (None, "cmb", "icbc")
days = st.integers(MIN_DAYS, MIN_DAYS + 400)


@st.composite
def periods(draw: st.DrawFn) -> RetentionPeriods:
    default = KindDays(draw(days), draw(days), draw(days), draw(days))
    keys = ("recordings_days", "transcripts_days", "notes_days", "attempts_days")
    banks = {
        code: draw(st.dictionaries(st.sampled_from(keys), days, max_size=4))
        for code in ("cmb", "icbc")
        if draw(st.booleans())
    }
    return RetentionPeriods(default, banks)


@st.composite
def histories(draw: st.DrawFn) -> list[Item]:
    """Cases with attempts, each with perhaps a note and recordings with transcripts, and
    recordings imported with no case; all born within ~8 years."""
    items: list[Item] = []
    ids = iter(range(1, 10_000))
    born = st.integers(0, 3000).map(lambda d: EPOCH + timedelta(days=d))
    later = st.integers(0, 90).map(lambda d: timedelta(days=d))
    pinned = st.sampled_from(["", "", "", "consent evidence"])

    def recording(since: datetime, bank: str | None, case: int | None) -> Ref:
        rid = next(ids)
        deps: frozenset[Ref] = frozenset()
        if draw(st.booleans()):
            transcript = Ref(Kind.TRANSCRIPT, rid)
            items.append(Item(transcript, since + draw(later), bank, case, pinned=draw(pinned)))
            deps = frozenset({transcript})
        ref = Ref(Kind.RECORDING, rid)
        items.append(Item(ref, since, bank, case, deps, draw(pinned)))
        return ref

    for case in range(1, draw(st.integers(0, 5)) + 1):
        bank = draw(st.sampled_from(BANKS))
        for _ in range(draw(st.integers(0, 4))):
            since = draw(born)
            deps = {recording(since, bank, case) for _ in range(draw(st.integers(0, 2)))}
            if draw(st.booleans()):
                note = Ref(Kind.NOTE, next(ids))
                items.append(Item(note, since + draw(later), bank, case, pinned=draw(pinned)))
                deps.add(note)
            attempt = Ref(Kind.ATTEMPT, next(ids))
            items.append(Item(attempt, since, bank, case, frozenset(deps), draw(pinned)))
    for _ in range(draw(st.integers(0, 3))):
        recording(draw(born), None, None)
    return items


def _expired(item: Item, at: datetime, rules: RetentionPeriods) -> bool:
    return at >= item.since + timedelta(days=rules.period(item.bank, item.ref.kind)[0])


def _free(item: Item, at: datetime, held: set[int], rules: RetentionPeriods) -> bool:
    return _expired(item, at, rules) and item.case_id not in held and not item.pinned


@given(histories(), periods(), st.sets(st.integers(1, 5)), st.integers(0, 4000))
@settings(max_examples=300)
def test_what_goes_is_exactly_what_is_free_with_all_that_hangs_on_it(
    items: list[Item], rules: RetentionPeriods, held_cases: set[int], day: int
) -> None:
    now = EPOCH + timedelta(days=day)
    held = {case: "dispute" for case in held_cases}
    plan = decide(now, items, held, rules)
    by_ref = {item.ref: item for item in items}
    gone = {expiry.ref for expiry in plan.goes}

    def goes_by_spec(ref: Ref) -> bool:
        item = by_ref[ref]
        return _free(item, now, held_cases, rules) and all(map(goes_by_spec, item.dependents))

    assert gone == {ref for ref in by_ref if goes_by_spec(ref)}
    for expiry in plan.goes:
        item = by_ref[expiry.ref]
        assert item.case_id not in held_cases and not item.pinned
        assert now - item.since >= timedelta(days=MIN_DAYS)
        assert expiry.expired_at <= now and expiry.rule.endswith(
            str(rules.period(item.bank, item.ref.kind)[0])
        )
        assert item.dependents <= gone, "something hanging on it stays"
    # dependents first: the order the store deletes in never breaks a foreign key
    position = {expiry.ref: i for i, expiry in enumerate(plan.goes)}
    for ref in gone:
        assert all(position[dep] < position[ref] for dep in by_ref[ref].dependents)
    kept = {k.ref for k in plan.kept}
    assert not kept & gone
    assert kept == {ref for ref in by_ref if _expired(by_ref[ref], now, rules)} - gone


@dataclass
class World:
    """A history as it is lived: runs at rising instants while holds come and go."""

    items: dict[Ref, Item]
    held: dict[int, str] = field(default_factory=dict)
    deleted: dict[Ref, datetime] = field(default_factory=dict)


step = st.one_of(
    st.tuples(st.just("hold"), st.integers(1, 5)),
    st.tuples(st.just("release"), st.integers(1, 5)),
    st.tuples(st.just("run"), st.integers(0, 600)),
)


@given(histories(), periods(), st.lists(step, max_size=30))
@settings(max_examples=200)
def test_no_run_in_a_lived_history_deletes_a_held_or_young_thing(
    items: list[Item], rules: RetentionPeriods, steps: list[tuple[str, int]]
) -> None:
    world = World({item.ref: item for item in items})
    now = EPOCH + timedelta(days=MIN_DAYS)
    for action, value in steps:
        if action == "hold":
            world.held[value] = "admin hold"
        elif action == "release":
            world.held.pop(value, None)
        else:
            now += timedelta(days=value)
            plan = decide(now, world.items.values(), world.held, rules)
            for expiry in plan.goes:
                item = world.items.pop(expiry.ref)  # never twice: it must still be stored
                assert item.case_id not in world.held, "held"
                assert _expired(item, now, rules)
                world.deleted[expiry.ref] = now
    # whatever hung on a deleted thing was deleted no later than it
    for ref, when in world.deleted.items():
        for item in items:
            if item.ref == ref:
                assert all(
                    world.deleted.get(dep, now + timedelta(1)) <= when for dep in item.dependents
                )


def test_a_kept_transcript_keeps_its_recording_and_attempt() -> None:
    rules = RetentionPeriods(KindDays(MIN_DAYS, 3000, MIN_DAYS, MIN_DAYS), {})
    transcript, recording = Ref(Kind.TRANSCRIPT, 7), Ref(Kind.RECORDING, 7)
    attempt = Ref(Kind.ATTEMPT, 1)
    items = [
        Item(transcript, EPOCH, "cmb", 1),
        Item(recording, EPOCH, "cmb", 1, frozenset({transcript})),
        Item(attempt, EPOCH, "cmb", 1, frozenset({recording})),
    ]
    plan = decide(EPOCH + timedelta(days=MIN_DAYS), items, {}, rules)
    assert plan.goes == ()
    assert {k.ref: k.why for k in plan.kept} == {
        recording: "transcript#7 hangs on it and stays",
        attempt: "recording#7 hangs on it and stays",
    }


def test_a_bank_rule_names_itself_and_the_default_fills_its_gaps() -> None:
    rules = RetentionPeriods(KindDays(1000, 1100, 1200, 1300), {"cmb": {"recordings_days": 2000}})
    assert rules.period("cmb", Kind.RECORDING) == (2000, "bank.cmb.recordings_days = 2000")
    assert rules.period("cmb", Kind.NOTE) == (1200, "default.notes_days = 1200")
    assert rules.period(None, Kind.RECORDING) == (1000, "default.recordings_days = 1000")
