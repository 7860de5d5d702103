"""Writing validated case records, batch by batch, inside one transaction.

Re-importing a file updates cases in place: cases are keyed by (bank, account
number), debtors by resident ID, contacts by (case, name, relation) and phone
numbers by (person, E.164 number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from store.case_import.validate import CaseRecord, NumberRecord
from store.enums import CaseStatus, Relation
from store.models import Campaign, Case, CaseContact, ClientBank, Person, PhoneNumber
from store.types import utcnow

# Core tables: bulk inserts through them skip the ORM's per-row bookkeeping (2x faster here).
PERSON = cast(Table, Person.__table__)
CASE = cast(Table, Case.__table__)
CONTACT = cast(Table, CaseContact.__table__)
NUMBER = cast(Table, PhoneNumber.__table__)
# Core executemany needs the same keys in every row: new cases spell out the defaults.
NEW_CASE_DEFAULTS = {
    "account_class": None,
    "status": CaseStatus.ACTIVE,
    "campaign_id": None,
    "currency": "CNY",
}


@dataclass
class LoadCounts:
    """What one import changed."""

    cases_created: int = 0
    cases_updated: int = 0
    people_created: int = 0
    contacts_created: int = 0
    numbers_created: int = 0


class CaseLoader:
    """Upserts batches of :class:`CaseRecord` through one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.counts = LoadCounts()
        self._banks: dict[str, int] = {}
        self._campaigns: dict[str, int] = {}

    def load(self, batch: Sequence[CaseRecord]) -> None:
        """Write one batch; the caller's transaction decides whether it sticks."""
        self._ensure_banks({r.client_bank for r in batch})
        self._ensure_campaigns({(r.campaign, r.client_bank) for r in batch if r.campaign})
        debtors = self._upsert_debtors(batch)
        self._ensure_numbers([(debtors[r.resident_id], n) for r in batch for n in r.numbers])
        case_ids = self._upsert_cases(batch, debtors)
        self._upsert_contacts(batch, case_ids)

    def _ensure_banks(self, codes: set[str]) -> None:
        missing = codes - self._banks.keys()
        if not missing:
            return
        rows = self.session.execute(
            select(ClientBank.code, ClientBank.id).where(ClientBank.code.in_(missing))
        )
        self._banks.update({code: bank_id for code, bank_id in rows})
        for code in sorted(missing - self._banks.keys()):
            bank = ClientBank(code=code, name=code)
            self.session.add(bank)
            self.session.flush()
            self._banks[code] = bank.id

    def _ensure_campaigns(self, wanted: set[tuple[str | None, str]]) -> None:
        for code, bank in sorted(w for w in wanted if w[0] and w[0] not in self._campaigns):
            assert code is not None
            found = self.session.scalar(select(Campaign.id).where(Campaign.code == code))
            if found is None:
                campaign = Campaign(code=code, name=code, client_bank_id=self._banks[bank])
                self.session.add(campaign)
                self.session.flush()
                found = campaign.id
            self._campaigns[code] = found

    def _upsert_debtors(self, batch: Sequence[CaseRecord]) -> dict[str, int]:
        names = {r.resident_id: r.debtor_name for r in batch}
        existing = {
            rid: (pid, name)
            for rid, pid, name in self.session.execute(
                select(Person.resident_id, Person.id, Person.name).where(
                    Person.resident_id.in_(names)
                )
            )
            if rid is not None
        }
        renamed = [
            {"id": pid, "name": names[rid]}
            for rid, (pid, old) in existing.items()
            if names[rid] != old
        ]
        if renamed:
            self.session.execute(update(Person), renamed)
        ids = {rid: pid for rid, (pid, _) in existing.items()}
        new = [
            {"resident_id": rid, "name": n, "created_at": utcnow()}
            for rid, n in names.items()
            if rid not in ids
        ]
        if new:
            result = self.session.execute(
                insert(Person).returning(
                    Person.resident_id, Person.id, sort_by_parameter_order=True
                ),
                new,
            )
            ids.update({rid: pid for rid, pid in result if rid is not None})
            self.counts.people_created += len(new)
        return ids

    def _ensure_numbers(self, wanted: Sequence[tuple[int, NumberRecord]]) -> None:
        if not wanted:
            return
        keys = {(pid, n.e164): n for pid, n in wanted}
        present = set(
            self.session.execute(
                select(PhoneNumber.person_id, PhoneNumber.e164).where(
                    tuple_(PhoneNumber.person_id, PhoneNumber.e164).in_(list(keys))
                )
            )
        )
        new = [
            {"person_id": pid, "e164": e164, "kind": n.kind, "created_at": utcnow()}
            for (pid, e164), n in keys.items()
            if (pid, e164) not in present
        ]
        if new:
            self.session.execute(insert(NUMBER), new)
            self.counts.numbers_created += len(new)

    def _upsert_cases(self, batch: Sequence[CaseRecord], debtors: dict[str, int]) -> dict[int, int]:
        """Insert or update each record's case; returns record row → case id."""
        keys = [(self._banks[r.client_bank], r.account_no) for r in batch]
        existing = {
            (bank, acct): cid
            for bank, acct, cid in self.session.execute(
                select(Case.client_bank_id, Case.account_no, Case.id).where(
                    tuple_(Case.client_bank_id, Case.account_no).in_(keys)
                )
            )
        }
        now = utcnow()
        updates, inserts, case_ids = [], [], {}
        for record, key in zip(batch, keys, strict=True):
            values = self._case_values(record, debtors, now)
            if key in existing:
                case_ids[record.row] = existing[key]
                updates.append({"id": existing[key], **values})
            else:
                inserts.append(
                    {
                        **NEW_CASE_DEFAULTS,
                        "client_bank_id": key[0],
                        "account_no": key[1],
                        "imported_at": now,
                        **values,
                    }
                )
        for values in updates:
            self.session.execute(update(Case).where(Case.id == values.pop("id")).values(**values))
        self.counts.cases_updated += len(updates)
        if inserts:
            result = self.session.execute(
                insert(CASE).returning(CASE.c.id, sort_by_parameter_order=True), inserts
            )
            new_records = [r for r, k in zip(batch, keys, strict=True) if k not in existing]
            for record, case_id in zip(new_records, result.scalars(), strict=True):
                case_ids[record.row] = case_id
            self.counts.cases_created += len(inserts)
        return case_ids

    def _case_values(
        self, record: CaseRecord, debtors: dict[str, int], now: object
    ) -> dict[str, object]:
        values: dict[str, object] = {
            "debtor_id": debtors[record.resident_id],
            "amount_overdue_cents": record.amount_overdue_cents,
            "days_past_due": record.days_past_due,
            "updated_at": now,
        }
        # Empty optional cells keep what agents have set since the last import.
        if record.account_class is not None:
            values["account_class"] = record.account_class
        if record.status is not None:
            values["status"] = record.status
        if record.campaign:
            values["campaign_id"] = self._campaigns[record.campaign]
        return values

    def _upsert_contacts(self, batch: Sequence[CaseRecord], case_ids: dict[int, int]) -> None:
        wanted = [(case_ids[r.row], c) for r in batch for c in r.contacts]
        if not wanted:
            return
        known: dict[tuple[int, str, Relation], int] = {}
        reworded: list[dict[str, object]] = []  # a re-import naming a known contact's kin anew
        words = {(cid, c.name, c.relation): c.word or None for cid, c in wanted}
        for contact_id, cid, name, relation, pid, word in self.session.execute(
            select(
                CaseContact.id,
                CaseContact.case_id,
                Person.name,
                CaseContact.relation,
                Person.id,
                CaseContact.relation_word,
            )
            .join(Person, Person.id == CaseContact.person_id)
            .where(CaseContact.case_id.in_({cid for cid, _ in wanted}))
        ):
            known[(cid, name, relation)] = pid
            said = words.get((cid, name, relation), word)
            if said is not None and said != word:
                reworded.append({"contact_id": contact_id, "word": said})
        if reworded:
            self.session.execute(
                update(CONTACT)
                .where(CONTACT.c.id == bindparam("contact_id"))
                .values(relation_word=bindparam("word")),
                reworded,
            )
        fresh = list(
            dict.fromkeys(
                (cid, c.name, c.relation)
                for cid, c in wanted
                if (cid, c.name, c.relation) not in known
            )
        )
        if fresh:
            now = utcnow()
            person_ids = (
                self.session.execute(
                    insert(PERSON).returning(PERSON.c.id, sort_by_parameter_order=True),
                    [{"name": name, "created_at": now} for _, name, _ in fresh],
                )
                .scalars()
                .all()
            )
            self.session.execute(
                insert(CONTACT),
                [
                    {
                        "case_id": cid,
                        "person_id": pid,
                        "relation": rel,
                        "relation_word": words[(cid, name, rel)],
                    }
                    for (cid, name, rel), pid in zip(fresh, person_ids, strict=True)
                ],
            )
            known.update(zip(fresh, person_ids, strict=True))
            self.counts.people_created += len(fresh)
            self.counts.contacts_created += len(fresh)
        self._ensure_numbers([(known[(cid, c.name, c.relation)], c.number) for cid, c in wanted])
