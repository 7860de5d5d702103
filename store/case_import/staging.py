"""A scratch SQLite file that holds what pass 1 learnt about a case (or payment) file.

It keeps the keys already seen (to find duplicates) and every validated record
(so pass 2 writes exactly what was checked, without parsing the file again),
on disk, so a 200 MB file stays in bounded memory.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from store.case_import.validate import CaseRecord, ContactRecord, NumberRecord
from store.enums import AccountClass, CaseStatus, NumberKind, Relation


class Staging:
    """Duplicate detection and staged records for one import; a context manager."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="callwarden-import-")
        self._db = sqlite3.connect(Path(self._dir.name) / "staging.db")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER, extra TEXT)")
        self._db.execute("CREATE TABLE staged (row INTEGER PRIMARY KEY, record TEXT)")

    def __enter__(self) -> Staging:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._db.close()
        self._dir.cleanup()

    def first(self, key: str, row: int, extra: str = "") -> tuple[int, str] | None:
        """Record ``key`` at ``row``; if it was seen before, return (its first row, its extra)."""
        cursor = self._db.execute(
            "INSERT INTO seen VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING", (key, row, extra)
        )
        if cursor.rowcount == 1:
            return None
        found = self._db.execute("SELECT row, extra FROM seen WHERE key = ?", (key,)).fetchone()
        return int(found[0]), str(found[1])

    def stage(self, record: CaseRecord) -> None:
        self.put(record.row, _encode(record))

    def records(self, batch_size: int) -> Iterator[list[CaseRecord]]:
        """The staged records in file order, ``batch_size`` at a time."""
        for batch in self.staged(batch_size):
            yield [_decode(values) for values in batch]

    def put(self, row: int, values: list[object]) -> None:
        """Stage one record of any kind, encoded as a JSON list (its first item the row)."""
        self._db.execute("INSERT INTO staged VALUES (?, ?)", (row, json.dumps(values)))

    def staged(self, batch_size: int) -> Iterator[list[list[object]]]:
        """What :meth:`put` staged, in file order, ``batch_size`` at a time."""
        cursor = self._db.execute("SELECT record FROM staged ORDER BY row")
        while rows := cursor.fetchmany(batch_size):
            yield [json.loads(text) for (text,) in rows]


def _encode(r: CaseRecord) -> list[object]:
    return [
        r.row,
        r.client_bank,
        r.account_no,
        r.debtor_name,
        r.resident_id,
        [[n.e164, n.kind.value] for n in r.numbers],
        r.amount_overdue_cents,
        r.days_past_due,
        r.account_class.value if r.account_class else None,
        r.status.value if r.status else None,
        r.campaign,
        [
            [c.name, c.relation.value, c.number.e164, c.number.kind.value, c.word]
            for c in r.contacts
        ],
    ]


def _decode(v: list[object]) -> CaseRecord:
    (row, bank, account, name, rid, numbers, cents, days, klass, status, campaign, contacts) = v
    assert isinstance(numbers, list) and isinstance(contacts, list)
    return CaseRecord(
        row=int(str(row)),
        client_bank=str(bank),
        account_no=str(account),
        debtor_name=str(name),
        resident_id=str(rid),
        numbers=tuple(NumberRecord(e, NumberKind(k)) for e, k in numbers),
        amount_overdue_cents=int(str(cents)),
        days_past_due=int(str(days)),
        account_class=AccountClass(str(klass)) if klass else None,
        status=CaseStatus(str(status)) if status else None,
        campaign=str(campaign) if campaign else None,
        contacts=tuple(
            ContactRecord(n, Relation(rel), NumberRecord(e, NumberKind(k)), word)
            for n, rel, e, k, word in contacts
        ),
    )
