"""The pure promise status (compliance.promises) and the day and amount parsers, with
examples at the boundaries and properties over any payments and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compliance.promises import PaymentMade, Promise, PromiseStatus, promise_status
from store.case_import.values import parse_day, parse_yuan

SHANGHAI = ZoneInfo("Asia/Shanghai")
MADE = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 on 1 December in Shanghai
DUE = date(2026, 12, 5)
PROMISE = Promise(amount_cents=100_000, due=DUE, made_at=MADE)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), SHANGHAI)


def status(payments: list[PaymentMade], now: datetime) -> PromiseStatus:
    return promise_status(PROMISE, payments, now, SHANGHAI).status


def test_kept_partly_kept_broken_and_pending_at_the_due_date() -> None:
    full = [PaymentMade(60_000, date(2026, 12, 2)), PaymentMade(40_000, DUE)]
    part = [PaymentMade(60_000, date(2026, 12, 2))]
    assert status(full, at(DUE)) is PromiseStatus.KEPT
    assert status(part, at(DUE, 23)) is PromiseStatus.PENDING  # the due day is still theirs
    assert status(part, at(DUE + timedelta(days=1), 0)) is PromiseStatus.PARTLY_KEPT
    assert status([], at(DUE + timedelta(days=1), 0)) is PromiseStatus.BROKEN
    assert status([], at(DUE)) is PromiseStatus.PENDING
    judged = promise_status(PROMISE, part, at(DUE + timedelta(days=3)), SHANGHAI)
    assert judged.paid_cents == 60_000


def test_payments_before_the_promise_or_after_its_due_date_do_not_keep_it() -> None:
    early = [PaymentMade(100_000, date(2026, 11, 30))]
    late = [PaymentMade(100_000, DUE + timedelta(days=1))]
    after = at(DUE + timedelta(days=10))
    assert status(early, after) is PromiseStatus.BROKEN
    assert status(late, after) is PromiseStatus.BROKEN
    # a payment on the day the promise was made counts: the day is read on the centre's clock
    same_day = [PaymentMade(100_000, MADE.astimezone(SHANGHAI).date())]
    assert status(same_day, after) is PromiseStatus.KEPT


def test_a_payment_not_yet_made_at_the_instant_does_not_count() -> None:
    pays = [PaymentMade(100_000, date(2026, 12, 4))]
    assert status(pays, at(date(2026, 12, 3))) is PromiseStatus.PENDING
    assert status(pays, at(date(2026, 12, 4))) is PromiseStatus.KEPT


days = st.dates(min_value=date(2026, 11, 25), max_value=date(2026, 12, 15))
payments = st.lists(st.builds(PaymentMade, st.integers(1, 150_000), days), max_size=6)
instants = st.datetimes(
    min_value=datetime(2026, 11, 20), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)
)


def _counted(pays: list[PaymentMade], now: datetime) -> int:
    today = now.astimezone(SHANGHAI).date()
    made_on = MADE.astimezone(SHANGHAI).date()
    return sum(p.amount_cents for p in pays if made_on <= p.paid_on <= min(DUE, today))


@given(payments, instants)
def test_the_status_follows_what_was_paid_in_the_window(
    pays: list[PaymentMade], now: datetime
) -> None:
    judged = promise_status(PROMISE, pays, now, SHANGHAI)
    paid = _counted(pays, now)
    assert judged.paid_cents == paid
    today = now.astimezone(SHANGHAI).date()
    if paid >= PROMISE.amount_cents:
        assert judged.status is PromiseStatus.KEPT
    elif today <= DUE:
        assert judged.status is PromiseStatus.PENDING
    else:
        assert judged.status is (PromiseStatus.PARTLY_KEPT if paid else PromiseStatus.BROKEN)


@given(payments, instants, st.integers(0, 30 * 24))
def test_once_decided_a_promise_stays_decided(
    pays: list[PaymentMade], now: datetime, hours: int
) -> None:
    first = promise_status(PROMISE, pays, now, SHANGHAI).status
    later = promise_status(PROMISE, pays, now + timedelta(hours=hours), SHANGHAI).status
    if first is not PromiseStatus.PENDING:
        assert later is first


RANK = {PromiseStatus.BROKEN: 0, PromiseStatus.PARTLY_KEPT: 1, PromiseStatus.KEPT: 2}


@given(payments, st.builds(PaymentMade, st.integers(1, 150_000), days), instants)
def test_another_payment_never_makes_it_worse_and_order_does_not_matter(
    pays: list[PaymentMade], extra: PaymentMade, now: datetime
) -> None:
    before = promise_status(PROMISE, pays, now, SHANGHAI).status
    after = promise_status(PROMISE, [extra, *pays], now, SHANGHAI).status
    assert promise_status(PROMISE, list(reversed(pays)), now, SHANGHAI).status is before
    if before is not PromiseStatus.PENDING and after is not PromiseStatus.PENDING:
        assert RANK[after] >= RANK[before]
    if before is PromiseStatus.KEPT:
        assert after is PromiseStatus.KEPT


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-01", date(2026, 12, 1)),
        ("2026/12/1", date(2026, 12, 1)),
        ("2026.12.01", date(2026, 12, 1)),
        ("20261201", date(2026, 12, 1)),
        ("2026年12月1日", date(2026, 12, 1)),
        ("2026-12-01T00:00:00", date(2026, 12, 1)),  # an .xlsx date cell
        ("2026-12-01 14:05:09", date(2026, 12, 1)),
        ("01/12/2026", "not a date"),
        ("45627", "not a date"),  # an Excel serial number typed as text: which epoch?
        ("２０２６-12-01", "not a date"),  # full-width digits are no ASCII date
        ("2026-13-01", "not a real date"),
    ],
)
def test_days_as_banks_write_them(raw: str, expected: date | str) -> None:
    got = parse_day(raw)
    if isinstance(expected, date):
        assert got == expected
    else:
        assert isinstance(got, str) and got.startswith(expected), got


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", Decimal("1234.50")),
        ("¥1,234.50", Decimal("1234.50")),
        ("￥ 88", Decimal(88)),
        ("88元", Decimal(88)),
        ("1，000", Decimal(1000)),
        ("NaN", "not a number"),
        ("12 yuan", "not a number"),
    ],
)
def test_amounts_as_banks_write_them(raw: str, expected: Decimal | str) -> None:
    got = parse_yuan(raw)
    if isinstance(expected, Decimal):
        assert got == expected
    else:
        assert isinstance(got, str) and got.startswith(expected), got
