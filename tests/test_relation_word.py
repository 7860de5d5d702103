"""Who a contact is, in the case file's own word (issue 22: the agent reads 母亲, not 家属):
the import keeps a word that says more than the relation (母亲 → family, 母亲), keeps none
for one that does not (家属/family), learns a new word on a re-import, and the case's numbers
and its contacts carry it, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from console.queue_labels import who
from store.case_import import import_cases
from store.case_queue import case_files
from store.db import SessionFactory
from store.enums import Relation
from store.models import CaseContact, Person

HEADER = (
    "client_bank,account_no,debtor_name,resident_id,mobile,amount_overdue,days_past_due,"
    "account_class,status,campaign,contact1_name,contact1_relation,contact1_phone,"
    "contact2_name,contact2_relation,contact2_phone\n"
)


def _import(sessions: SessionFactory, tmp_path: Path, first: str, second: str) -> None:
    path = tmp_path / "cases.csv"
    path.write_text(
        HEADER + "HX-BANK,9000000000077,钱多多,11010119850203001X,13911110001,5000.00,40,B,"
        f"active,R22,钱妈妈,{first},13922220001,钱同事,{second},13933330001\n",
        encoding="utf-8",
    )
    import_cases(path, sessions, "test")


def _words(sessions: SessionFactory) -> dict[str, tuple[Relation, str | None]]:
    with sessions() as session:
        rows = session.execute(
            select(Person.name, CaseContact.relation, CaseContact.relation_word).join(
                Person, Person.id == CaseContact.person_id
            )
        )
        return {name: (relation, word) for name, relation, word in rows}


def test_the_files_own_word_is_kept_and_shown(sessions: SessionFactory, tmp_path: Path) -> None:
    _import(sessions, tmp_path, "母亲", "同事")
    assert _words(sessions) == {
        "钱妈妈": (Relation.FAMILY, "母亲"),
        "钱同事": (Relation.COLLEAGUE, None),
    }
    with sessions() as session:
        case_id = session.scalars(select(CaseContact.case_id)).first()
        assert case_id is not None
        files = case_files(session, [case_id], datetime.now(UTC), ZoneInfo("Asia/Shanghai"))
    shown = sorted(who(n.relation, n.word) for n in files[case_id].numbers)
    assert shown == ["债务人", "同事", "母亲"]

    # the bank's next file says more of one, and no more of the other: the word is learnt,
    # and a generic word does not wipe a known one
    _import(sessions, tmp_path, "家属", "领导")
    assert _words(sessions) == {
        "钱妈妈": (Relation.FAMILY, "母亲"),
        "钱同事": (Relation.COLLEAGUE, "领导"),
    }
    _import(sessions, tmp_path, "母亲", "同事")
    assert _words(sessions)["钱同事"] == (Relation.COLLEAGUE, "领导")
