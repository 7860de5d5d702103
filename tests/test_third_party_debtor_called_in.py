"""The third-party gate and a debtor who calls back: an answered call the debtor made (inbound)
after three unanswered calls of ours shows they can be reached, so the gate stays closed on
both roads (dial time and worklists), on SQLite and PostgreSQL.

A book of our own (one debtor, one family contact), not the shipped sample.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from compliance.policy import load_profile
from dialer.gate import PolicyJudge
from dialer.worklist_source import build_worklists
from store.attempts import log_inbound, mark_ended, release
from store.case_import import import_cases
from store.db import SessionFactory
from store.enums import AttemptStatus
from store.models import Agent
from store.reservation import reserve_attempt
from tests.dbdata import Target, add_attempts, contact_targets, debtor_targets

PROFILE = load_profile("cn-cba-2026")
JUDGE = PolicyJudge(PROFILE)
SHANGHAI = ZoneInfo("Asia/Shanghai")
BOOK = (
    "client_bank,account_no,debtor_name,resident_id,mobile,amount_overdue,days_past_due,"
    "account_class,status,campaign,contact1_name,contact1_relation,contact1_phone\n"
    "HX-BANK,9000000000001,钱多多,11010119850203001X,13911110001,5000.00,40,B,active,H19,"
    "钱妈妈,family,13922220001\n"
)


def at(h: int, mi: int = 0) -> datetime:
    return datetime(2026, 12, 2, h, mi, tzinfo=SHANGHAI)


def book(sessions: SessionFactory, tmp_path: Path) -> tuple[Target, Target, int]:
    path = tmp_path / "book.csv"
    path.write_text(BOOK, encoding="utf-8")
    import_cases(path, sessions, "test")
    with sessions.begin() as session:
        agent = Agent(code="H19", name="测试", sip_endpoint="PJSIP/h19")
        session.add(agent)
        session.flush()
        agent_id = agent.id
    return debtor_targets(sessions)[0], contact_targets(sessions, "family")[0], agent_id


def both_roads(sessions: SessionFactory, family: Target, now: datetime) -> tuple[str, str]:
    with sessions() as session:
        schedule = build_worklists(session, PROFILE, now, [])
    blocked = [b for b in schedule.blocked if b.entry.phone_number_id == family.phone_number_id]
    worklist = blocked[0].reason if blocked else "allowed"
    reservation = reserve_attempt(
        sessions, family.phone_number_id, family.case_id, now, JUDGE, lookback=JUDGE.lookback
    )
    release(sessions, reservation.attempt_id, "asked only", now)  # never dialled
    verdict = reservation.verdict
    return worklist, "allowed" if verdict.allowed else verdict.reason_en


def test_a_debtor_who_called_back_keeps_third_parties_closed(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    debtor, family, agent_id = book(sessions, tmp_path)
    add_attempts(sessions, debtor, [at(9), at(10), at(11)], AttemptStatus.NO_ANSWER)
    assert both_roads(sessions, family, at(12)) == ("allowed", "allowed")
    # the debtor rings us back at 14:00 and talks to an agent for five minutes
    inbound = log_inbound(sessions, debtor.e164, agent_id, at(14))
    assert inbound is not None
    mark_ended(sessions, inbound, AttemptStatus.ANSWERED, "16", at(14) + timedelta(minutes=5))
    closed = "debtor answered 2026-12-02 14:00, third parties not yet allowed"
    assert both_roads(sessions, family, at(15)) == (closed, closed)
    # three more unanswered calls of ours after it open the gate again
    add_attempts(sessions, debtor, [at(16), at(17), at(18)], AttemptStatus.NO_ANSWER)
    assert both_roads(sessions, family, at(19)) == ("allowed", "allowed")


def test_a_third_party_on_the_worklist_says_why_the_gate_let_it_through(
    sessions: SessionFactory, tmp_path: Path
) -> None:
    debtor, family, _ = book(sessions, tmp_path)
    add_attempts(sessions, debtor, [at(9), at(10), at(11)], AttemptStatus.NO_ANSWER)
    with sessions() as session:
        schedule = build_worklists(session, PROFILE, at(12), [])
    reasons = {item.entry.phone_number_id: item.reason for item in schedule.dialable}
    said = reasons[family.phone_number_id]
    assert "债务人最近连续 3 次外呼均未接通（最近一次 2026-12-02 11:00）" in said
    assert "the debtor's last 3 calls all failed or went unanswered" in said
    assert "third part" not in reasons[debtor.phone_number_id]  # the debtor's own: nothing
