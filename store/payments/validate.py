"""The columns of a bank's payment file and the pure validation of one row.

A row is a payment: the account it was paid on (and the client bank, unless the whole
file is one bank's: ``--bank``), a positive amount, the day, the channel and, where the
bank gives one, its transaction reference (流水号).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from store.case_import.cells import cell_problems
from store.case_import.columns import Column
from store.case_import.records import Problems
from store.case_import.values import parse_day, parse_yuan, yuan_to_cents

COLUMNS: tuple[Column, ...] = (
    Column("client_bank", False, ("委托方", "委托银行", "银行"), "client bank code (or --bank)"),
    Column("account_no", True, ("账号", "卡号", "合同号"), "the case's account number"),
    Column("amount", True, ("还款金额", "金额", "入账金额"), "amount paid in yuan, > 0"),
    Column("paid_on", True, ("date", "还款日期", "入账日期", "交易日期"), "the day it was paid"),
    Column("channel", True, ("还款渠道", "渠道", "还款方式"), "how it was paid: 柜面, 网银, 代扣…"),
    Column("reference", False, ("流水号", "交易流水号", "参考号"), "the bank's reference"),
)
LIMITS = {"client_bank": 64, "account_no": 64, "channel": 40, "reference": 64}
"""The stored columns' lengths (store.models: ClientBank.code, Case.account_no, Payment)."""
TEXT_COLUMNS = ("client_bank", "account_no", "channel", "reference")
FORMULA_STARTS = ("=", "+", "-", "@")
"""A text cell opening with one of these runs as a formula once exported to a spreadsheet
(CSV injection): it is no bank code, account, channel or reference, so it is refused."""
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class PaymentRecord:
    """One validated row."""

    row: int
    client_bank: str | None
    account_no: str
    amount_cents: int
    paid_on: date
    channel: str
    reference: str

    def key(self, bank: str | None) -> str:
        """What makes two rows the same payment (``bank``: the file's default bank)."""
        return "\t".join(
            (
                self.client_bank or bank or "",
                self.account_no,
                self.paid_on.isoformat(),
                str(self.amount_cents),
                self.channel,
                self.reference,
            )
        )


def validate_payment(
    row: int, values: dict[str, str], today: date
) -> tuple[PaymentRecord | None, Problems]:
    """Check every field of a row; return the record, or None and every problem found.

    ``today``: the centre's day; a payment dated later has not happened.
    """
    flagged = cell_problems(values, LIMITS)
    bad = {column for column, _ in flagged}
    text = {key: value.strip() for key, value in values.items() if key not in bad}
    problems: Problems = list(flagged)
    for column in TEXT_COLUMNS:
        if text.get(column, "").startswith(FORMULA_STARTS):
            problems.append((column, f"starts with {text[column][0]!r}: a spreadsheet formula"))
            bad.add(column)
    for column in ("account_no", "channel"):
        if column not in bad and not text.get(column):
            problems.append((column, "required"))
    amount = _amount(text.get("amount"), problems)
    day = _day(text.get("paid_on"), today, problems)
    if problems or amount is None or day is None:
        return None, problems
    record = PaymentRecord(
        row=row,
        client_bank=text.get("client_bank") or None,
        account_no=text["account_no"],
        amount_cents=amount,
        paid_on=day,
        channel=text["channel"],
        reference=text.get("reference", ""),
    )
    return record, []


def _amount(raw: str | None, problems: Problems) -> int | None:
    if raw is None:  # the cell was refused already
        return None
    if not raw:
        problems.append(("amount", "required"))
        return None
    amount = parse_yuan(raw)
    if isinstance(amount, str):
        problems.append(("amount", amount))
        return None
    if amount <= 0:
        problems.append(("amount", f"must be more than 0, got {raw}"))
        return None
    cents = yuan_to_cents(amount, raw)
    if isinstance(cents, str):
        problems.append(("amount", cents))
        return None
    return cents


def _day(raw: str | None, today: date, problems: Problems) -> date | None:
    if raw is None:
        return None
    if not raw:
        problems.append(("paid_on", "required"))
        return None
    day = parse_day(raw)
    if isinstance(day, str):
        problems.append(("paid_on", day))
        return None
    if day > today:
        problems.append(("paid_on", f"{day} is after today ({today})"))
        return None
    if day < EARLIEST:
        problems.append(("paid_on", f"{day} is before {EARLIEST}: not a payment on a case"))
        return None
    return day
