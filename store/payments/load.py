"""Matching validated payments to cases, writing the new ones, and closing paid cases.

All of it runs in the import's one transaction (:mod:`store.case_import.lock`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, tzinfo
from typing import cast

from sqlalchemy import Table, insert, select, tuple_
from sqlalchemy.orm import Session

from store.enums import CaseStatus
from store.models import Case, ClientBank, Payment
from store.payments.validate import PaymentRecord

PAYMENT = cast(Table, Payment.__table__)
CLOSES = (CaseStatus.ACTIVE, CaseStatus.PROMISED)
"""Statuses a paid-in-full case leaves; a special status (stolen, jailed, deceased) stays."""
Resolved = dict[int, int | tuple[str, str]]
"""Record row → its case id, or the (column, message) saying why it has none."""


class CaseMatcher:
    """Finds each record's case by (client bank, account number)."""

    def __init__(self, session: Session, default_bank: str | None) -> None:
        self.session = session
        self.default_bank = default_bank
        self.banks: dict[str, int] = {
            code: bank_id
            for code, bank_id in session.execute(select(ClientBank.code, ClientBank.id))
        }
        self._bank_codes = {bank_id: code for code, bank_id in self.banks.items()}

    def resolve(self, batch: Sequence[PaymentRecord]) -> Resolved:
        out: Resolved = {}
        with_bank = [r for r in batch if r.client_bank or self.default_bank]
        without = [r for r in batch if not (r.client_bank or self.default_bank)]
        known = [r for r in with_bank if self._bank(r) in self.banks]
        for record in with_bank:
            if self._bank(record) not in self.banks:
                column = "client_bank" if record.client_bank else "account_no"
                out[record.row] = (column, f"no client bank {self._bank(record)!r}")
        keys = {(self.banks[self._bank(r)], r.account_no) for r in known}
        found = (
            {
                (bank, acct): case_id
                for case_id, bank, acct in self.session.execute(
                    select(Case.id, Case.client_bank_id, Case.account_no).where(
                        tuple_(Case.client_bank_id, Case.account_no).in_(list(keys))
                    )
                )
            }
            if keys
            else {}
        )
        for record in known:
            case_id = found.get((self.banks[self._bank(record)], record.account_no))
            out[record.row] = case_id if case_id is not None else self._unknown(record)
        out.update(self._by_account_alone(without))
        return out

    def _bank(self, record: PaymentRecord) -> str:
        return record.client_bank or self.default_bank or ""

    def _unknown(self, record: PaymentRecord) -> tuple[str, str]:
        at = f" at {self._bank(record)}" if self._bank(record) else ""
        return ("account_no", f"unknown account {record.account_no!r}: no case{at}")

    def _by_account_alone(self, records: Sequence[PaymentRecord]) -> Resolved:
        if not records:
            return {}
        cases: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for case_id, bank, acct in self.session.execute(
            select(Case.id, Case.client_bank_id, Case.account_no).where(
                Case.account_no.in_({r.account_no for r in records})
            )
        ):
            cases[acct].append((case_id, bank))
        out: Resolved = {}
        for record in records:
            found = cases.get(record.account_no, [])
            if len(found) == 1:
                out[record.row] = found[0][0]
            elif not found:
                out[record.row] = self._unknown(record)
            else:
                banks = ", ".join(sorted(self._bank_codes[bank] for _, bank in found))
                out[record.row] = (
                    "account_no",
                    f"account {record.account_no!r} is at more than one bank ({banks}): "
                    "give the client_bank column or --bank",
                )
        return out


@dataclass
class PaymentCounts:
    """What one import changed."""

    added: int = 0
    already_imported: int = 0
    cases_paid: list[int] = field(default_factory=list)
    """The cases this import found paid in full, which it closed."""


PaymentKey = tuple[int, date, int, str, str]


class PaymentLoader:
    """Inserts the payments not stored yet, batch by batch."""

    def __init__(self, session: Session, file_sha256: str, actor: str) -> None:
        self.session, self.file_sha256, self.actor = session, file_sha256, actor
        self.counts = PaymentCounts()
        self.touched: set[int] = set()

    def load(self, batch: Sequence[PaymentRecord], cases: Resolved) -> None:
        keyed = {self._key(r, cases): r for r in batch}
        case_ids = {key[0] for key in keyed}
        present: set[PaymentKey] = {
            (c, d, a, ch, ref)
            for c, d, a, ch, ref in self.session.execute(
                select(
                    Payment.case_id,
                    Payment.paid_on,
                    Payment.amount_cents,
                    Payment.channel,
                    Payment.reference,
                ).where(Payment.case_id.in_(case_ids))
            )
        }
        fresh = [(key, record) for key, record in keyed.items() if key not in present]
        new = [
            {
                "case_id": key[0],
                "paid_on": key[1],
                "amount_cents": key[2],
                "channel": key[3],
                "reference": key[4],
                "file_sha256": self.file_sha256,
                "source_row": record.row,
                "imported_by": self.actor,
            }
            for key, record in fresh
        ]
        if new:
            self.session.execute(insert(PAYMENT), new)
            self.touched.update(key[0] for key, _ in fresh)
        self.counts.added += len(new)
        self.counts.already_imported += len(keyed) - len(new)

    @staticmethod
    def _key(record: PaymentRecord, cases: Resolved) -> PaymentKey:
        case_id = cases[record.row]
        assert isinstance(case_id, int), "a record without a case is refused before loading"
        return (case_id, record.paid_on, record.amount_cents, record.channel, record.reference)


CHUNK = 1000


def close_paid_cases(
    session: Session, case_ids: Iterable[int], day_of: Callable[..., date]
) -> list[int]:
    """Mark paid (已还款) each of these cases whose payments since its import reach its
    amount overdue; returns their ids.

    Payments dated before the case was imported are left out: the bank's amount overdue
    already had them. The status changes through the ORM, so the kept schedule's marks
    name each case (:mod:`store.schedule_marks`) and the policy's ``case_status`` rule then
    keeps it off every worklist.
    """
    ids = sorted(case_ids)
    paid: list[int] = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(chunk)))}
        since = {case_id: day_of(case.imported_at) for case_id, case in cases.items()}
        totals: dict[int, int] = defaultdict(int)
        for case_id, paid_on, cents in session.execute(
            select(Payment.case_id, Payment.paid_on, Payment.amount_cents).where(
                Payment.case_id.in_(chunk)
            )
        ):
            if paid_on >= since[case_id]:
                totals[case_id] += cents
        for case_id, case in cases.items():
            if case.status in CLOSES and totals[case_id] >= case.amount_overdue_cents:
                case.status = CaseStatus.PAID
                paid.append(case_id)
        session.flush()
    return paid


def day_in(zone: tzinfo) -> Callable[..., date]:
    """An aware instant → its day on the clock of ``zone``."""
    return lambda instant: instant.astimezone(zone).date()
