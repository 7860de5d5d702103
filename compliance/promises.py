"""Whether a promise to pay (承诺还款) was kept, at an instant. Pure: ``now`` is passed in.

A promise is to pay ``amount_cents`` by ``due`` (that day included, on the centre's
clock). The payments that count for it are those dated from the day it was made to its
due date: money paid before the promise is what the promise came after, money paid late
did not keep it (it still counts for the case's balance, elsewhere).

- **kept** (已履约): the counted payments reach the amount, whenever that happened;
- **pending** (待到期): not reached yet, and the due date has not passed;
- **partly kept** (部分履约): the due date passed with some of the amount paid;
- **broken** (未履约): the due date passed with nothing paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from enum import StrEnum


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    PARTLY_KEPT = "partly_kept"
    BROKEN = "broken"


LABELS = {
    PromiseStatus.PENDING: "待到期 Pending",
    PromiseStatus.KEPT: "已履约 Kept",
    PromiseStatus.PARTLY_KEPT: "部分履约 Partly kept",
    PromiseStatus.BROKEN: "未履约 Broken",
}
"""How the console names each status: Chinese first, English alongside."""


@dataclass(frozen=True)
class Promise:
    """What the debtor promised, and when (an aware instant)."""

    amount_cents: int
    due: date
    made_at: datetime


@dataclass(frozen=True)
class PaymentMade:
    """A payment the bank reported: its amount and the day it was paid."""

    amount_cents: int
    paid_on: date


@dataclass(frozen=True)
class PromiseJudgement:
    status: PromiseStatus
    paid_cents: int
    """What the counted payments add up to."""


def promise_status(
    promise: Promise, payments: Iterable[PaymentMade], now: datetime, zone: tzinfo
) -> PromiseJudgement:
    """The promise's status at ``now`` (aware), days read on the clock of ``zone``."""
    made_on = promise.made_at.astimezone(zone).date()
    today = now.astimezone(zone).date()
    paid = sum(
        p.amount_cents
        for p in payments
        if made_on <= p.paid_on <= promise.due and p.paid_on <= today
    )
    if paid >= promise.amount_cents:
        return PromiseJudgement(PromiseStatus.KEPT, paid)
    if today <= promise.due:
        return PromiseJudgement(PromiseStatus.PENDING, paid)
    if paid > 0:
        return PromiseJudgement(PromiseStatus.PARTLY_KEPT, paid)
    return PromiseJudgement(PromiseStatus.BROKEN, paid)
