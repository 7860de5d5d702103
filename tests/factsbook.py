"""A generated case book with everything the policy's facts are made from (test data).

On top of the shipped sample: more cases (some paid, closed or stopped), numbers shared
between people, a debtor of one case listed as another case's contact and as their own
case's contact, attempt history of every status in both directions (with caps hit on the
base day and attempts stamped after some instants), open and cleared holds (two open on
one case), do-not-call entries, number states and promised payments; and for the
third-party gate, a contact of a case whose debtor failed twice in a row since last
answering, one whose debtor then failed a third time, and one whose debtor's numbers are
all unreachable or the wrong person (:class:`GateCases`); and debtors' consents (issue 19):
in force for the window or for more calls (among them the cases whose caps the base day's
morning hit), and ones that must not count: requested only, withdrawn, expired, not yet begun.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bench.casegen import case_rows, resident_id, write
from store.case_import import import_cases
from store.db import SessionFactory
from store.enums import (
    AttemptStatus,
    CaseStatus,
    ConsentScope,
    Direction,
    HoldReason,
    NumberState,
    Relation,
)
from store.models import (
    Agent,
    CallAttempt,
    Case,
    CaseConsent,
    CaseContact,
    CollectionNote,
    DoNotCall,
    Hold,
    PhoneNumber,
)
from tests.dbdata import load_sample

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE_DAY = date(2026, 9, 30)
"""A working day; the next is National Day (a statutory holiday)."""


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Pair:
    """A (case, number) the book lists: the case's debtor's number or a contact's."""

    case_id: int
    phone_number_id: int
    person_id: int
    e164: str


def pairs(sessions: SessionFactory) -> list[Pair]:
    """Every (case, number) pair of the book, as the database links them."""
    with sessions() as session:
        debtors = session.execute(
            select(Case.id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164).join(
                PhoneNumber, PhoneNumber.person_id == Case.debtor_id
            )
        ).all()
        contacts = session.execute(
            select(
                CaseContact.case_id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164
            ).join(PhoneNumber, PhoneNumber.person_id == CaseContact.person_id)
        ).all()
    unique = {(row[0], row[1]): Pair(*row) for row in [*debtors, *contacts]}
    return [unique[key] for key in sorted(unique)]


@dataclass(frozen=True)
class GateCases:
    """A third party's number (a family member's, a colleague's…) on each case whose debtor
    the book leaves in one state of reach."""

    two_failed: Pair
    """The debtor answered, then failed twice: the gate is still closed."""
    three_failed: Pair
    """The same, then a third failure in a row: the gate opens."""
    unreachable: Pair
    """Every number of the debtor's unreachable or the wrong person: the gate opens."""


def build_book(
    sessions: SessionFactory, folder: Path, seed: int = 17, cases: int = 20
) -> GateCases:
    """The sample plus ``cases`` generated cases, then history, the rest and the debtors'
    reach for the third-party gate."""
    load_sample(sessions)
    rng = random.Random(seed)
    sample = list(case_rows(60))
    rows: list[dict[str, str]] = []
    for i, generated in enumerate(case_rows(cases, seed=seed)):
        row = {**generated, "account_no": f"7{seed:03d}{i:08d}"}
        row["resident_id"] = resident_id(5000 + i, "110101")
        if i % 4 == 1:  # every fourth debtor owes on two cases
            row["resident_id"], row["debtor_name"] = (
                rows[-1]["resident_id"],
                rows[-1]["debtor_name"],
            )
        row["status"] = rng.choice(["active"] * 6 + ["paid", "closed", "stolen", "promised"])
        if i % 5 == 0:  # a contact's phone is a sample debtor's mobile: one number, two people
            row["contact1_phone"] = sample[i]["mobile"]
            row.setdefault("contact1_name", "共用号")
            row.setdefault("contact1_relation", "family")
        rows.append(row)
    path = folder / "generated.csv"
    write(path, iter(rows), "utf-8", chinese=False)
    import_cases(path, sessions, "test")
    _link_people(sessions)
    _add_history(sessions, rng)
    _add_the_rest(sessions, rng)
    _add_consents(sessions, rng)
    return _add_debtor_reach(sessions)


def _link_people(sessions: SessionFactory) -> None:
    """A debtor listed as their own case's contact, and another as someone else's."""
    with sessions.begin() as session:
        first, second, third = session.execute(
            select(Case.id, Case.debtor_id).order_by(Case.id).limit(3)
        ).all()
        session.add(CaseContact(case_id=first[0], person_id=first[1], relation=Relation.FAMILY))
        session.add(CaseContact(case_id=second[0], person_id=third[1], relation=Relation.COLLEAGUE))


def _add_history(sessions: SessionFactory, rng: random.Random) -> None:
    book = pairs(sessions)
    statuses = list(AttemptStatus)
    with sessions.begin() as session:
        for pair in rng.sample(book, len(book) // 3):
            for _ in range(rng.randint(1, 6)):
                day = BASE_DAY - timedelta(days=rng.randint(0, 8))
                at = local(day, rng.randint(7, 20), rng.randint(0, 59))
                inbound = rng.random() < 0.2
                session.add(_attempt(pair, at, rng.choice(statuses), inbound=inbound))
        for pair in rng.sample(book, 12):  # caps hit on the base day's morning
            status = rng.choice([AttemptStatus.ANSWERED, AttemptStatus.NO_ANSWER])
            for minute in range(0, 6 if status == AttemptStatus.NO_ANSWER else 3):
                session.add(_attempt(pair, local(BASE_DAY, 8, minute * 5), status))
        for pair in rng.sample(book, 6):  # inbound calls alone never reach a cap
            for minute in range(6):
                at = local(BASE_DAY, 8, 30 + minute)
                session.add(_attempt(pair, at, AttemptStatus.ANSWERED, inbound=True))


def _attempt(
    pair: Pair, at: datetime, status: AttemptStatus, *, inbound: bool = False, up: bool = False
) -> CallAttempt:
    """An attempt that had ended two minutes later, unless ``up`` or still in flight."""
    ended = not up and status not in {AttemptStatus.RESERVED, AttemptStatus.ORIGINATED}
    return CallAttempt(
        case_id=pair.case_id,
        person_id=pair.person_id,
        phone_number_id=pair.phone_number_id,
        e164=pair.e164,
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        status=status,
        reserved_at=at,
        ended_at=at + timedelta(minutes=2) if ended else None,
        # a failure the callee's side reported, as the dialer writes it (one on our side
        # would not count toward the third-party gate)
        hangup_cause="destination out of order (cause 27)"
        if status is AttemptStatus.FAILED
        else None,
        ruleset_version="test",
    )


def _add_the_rest(sessions: SessionFactory, rng: random.Random) -> None:
    book = pairs(sessions)
    case_ids = sorted({pair.case_id for pair in book})
    with sessions.begin() as session:
        agent = Agent(code="A01", name="坐席一", sip_endpoint="PJSIP/a01@simnet")
        session.add(agent)
        session.flush()
        two_holds, *held = rng.sample(case_ids, 6)
        for order, reason in enumerate([HoldReason.MANUAL, HoldReason.COMPLAINT_TENDENCY]):
            placed = local(BASE_DAY, 7, order)
            session.add(Hold(case_id=two_holds, reason=reason, placed_by="qa", placed_at=placed))
        for index, case_id in enumerate(held):
            cleared = local(BASE_DAY, 7, 30) if index % 2 else None
            session.add(
                Hold(
                    case_id=case_id,
                    reason=rng.choice(list(HoldReason)),
                    placed_by="qa",
                    placed_at=local(BASE_DAY - timedelta(days=1), 9),
                    cleared_by="qa" if cleared else None,
                    cleared_at=cleared,
                )
            )
        for e164 in sorted({pair.e164 for pair in rng.sample(book, 8)}):
            session.add(DoNotCall(e164=e164, reason="asked", created_by="qa"))
        for pair in rng.sample(book, 10):
            state = rng.choice([NumberState.WRONG_PERSON, NumberState.UNREACHABLE])
            session.execute(
                update(PhoneNumber)
                .where(PhoneNumber.id == pair.phone_number_id)
                .values(state=state)
            )
        for case_id in rng.sample(case_ids, 8):
            session.add(
                CollectionNote(
                    case_id=case_id,
                    agent_id=agent.id,
                    outcome="promise",
                    promised_amount_cents=10_000,
                    promised_date=BASE_DAY - timedelta(days=rng.randint(-2, 2)),
                    text="will pay",
                )
            )
        # calls up at the morning's instant: two callees who rang in, two answered outbound
        # calls (neither ended), so a number on the line with one agent reaches both roads
        for index, pair in enumerate(rng.sample(book, 4)):
            at = local(BASE_DAY, 9, 10 + index)
            session.add(_attempt(pair, at, AttemptStatus.ANSWERED, inbound=index < 2, up=True))


def _add_consents(sessions: SessionFactory, rng: random.Random) -> None:
    """Consents in force on a third of the cases (for more calls on every case a cap was hit
    on, for the window on the rest), and on others ones that must not count."""
    start, end = local(BASE_DAY - timedelta(days=2), 9), local(BASE_DAY + timedelta(days=20), 0)
    with sessions() as session:
        case_ids = sorted(session.scalars(select(Case.id)))
        capped = set(
            session.scalars(
                select(CallAttempt.case_id).where(
                    CallAttempt.reserved_at >= local(BASE_DAY, 8),
                    CallAttempt.reserved_at < local(BASE_DAY, 8, 30),
                )
            )
        )
    in_force = set(rng.sample(case_ids, len(case_ids) // 3)) | capped
    rest = [case_id for case_id in case_ids if case_id not in in_force]
    with sessions.begin() as session:
        for case_id in sorted(in_force):
            scope = ConsentScope.FREQUENCY if case_id in capped else ConsentScope.WINDOW
            session.add(_consent(case_id, scope, start, end, approved=True))
        for index, case_id in enumerate(rng.sample(rest, 8)):
            consent = _consent(case_id, ConsentScope.WINDOW, start, end, approved=index % 4 != 0)
            if index % 4 == 1:
                consent.withdrawn_by, consent.withdrawn_at = "agent1", local(BASE_DAY, 7)
            elif index % 4 == 2:  # expired before the base day's instants
                consent.valid_until = local(BASE_DAY, 9)
            elif index % 4 == 3:  # not yet begun
                consent.valid_from = local(BASE_DAY + timedelta(days=2), 9)
            session.add(consent)


def _consent(
    case_id: int, scope: ConsentScope, start: datetime, end: datetime, *, approved: bool
) -> CaseConsent:
    return CaseConsent(
        case_id=case_id,
        scope=scope,
        valid_from=start,
        valid_until=end,
        evidence_note="debtor agreed on the phone",
        requested_by="agent1",
        requested_at=start,
        approved_by="lead" if approved else None,
        approved_at=start if approved else None,
    )


def _add_debtor_reach(sessions: SessionFactory) -> GateCases:
    """Three cases whose third party only the gate decides (an active case, no hold, a
    third party never called on a clean number, a debtor never called), each debtor left
    in one state of reach. Attempts are stamped the day before the base day, so the caps
    of that day read none of them."""
    day = BASE_DAY - timedelta(days=1)
    two, three, unreachable = _clean_third_parties(sessions)
    numbers = {
        case_id: _debtor_numbers(sessions, case_id)
        for case_id in (two.case_id, three.case_id, unreachable.case_id)
    }
    with sessions.begin() as session:
        for contact in (two, three):
            debtor = numbers[contact.case_id][0]
            session.add(_attempt(debtor, local(day, 9), AttemptStatus.ANSWERED))
            session.add(_attempt(debtor, local(day, 10), AttemptStatus.NO_ANSWER))
            session.add(_attempt(debtor, local(day, 11), AttemptStatus.BUSY))
        # the third failure, on the debtor's last number: any number of theirs counts
        session.add(_attempt(numbers[three.case_id][-1], local(day, 14), AttemptStatus.FAILED))
        for index, number in enumerate(numbers[unreachable.case_id]):
            state = NumberState.WRONG_PERSON if index % 2 else NumberState.UNREACHABLE
            session.execute(
                update(PhoneNumber)
                .where(PhoneNumber.id == number.phone_number_id)
                .values(state=state)
            )
    return GateCases(two, three, unreachable)


def _clean_third_parties(sessions: SessionFactory) -> tuple[Pair, Pair, Pair]:
    """Third parties of three cases with three different debtors, as described above."""
    with sessions() as session:
        called = set(session.scalars(select(CallAttempt.person_id)))
        dialled = set(session.scalars(select(CallAttempt.e164)))
        unclean = dialled | set(session.scalars(select(DoNotCall.e164)))
        unclean.update(
            session.scalars(
                select(PhoneNumber.e164).where(PhoneNumber.state != NumberState.UNVERIFIED)
            )
        )
        held = set(session.scalars(select(Hold.case_id)))
        active = set(session.scalars(select(Case.id).where(Case.status == CaseStatus.ACTIVE)))
        debtor_of = {
            case_id: debtor_id
            for case_id, debtor_id in session.execute(select(Case.id, Case.debtor_id))
        }
        relations = [Relation.FAMILY, Relation.COLLEAGUE]
        third_parties = {
            (case_id, person_id)
            for case_id, person_id in session.execute(
                select(CaseContact.case_id, CaseContact.person_id).where(
                    CaseContact.relation.in_(relations)
                )
            )
        }
    debtors = set(debtor_of.values())
    found: list[Pair] = []
    for pair in pairs(sessions):
        debtor = debtor_of[pair.case_id]
        if (
            (pair.case_id, pair.person_id) in third_parties
            and pair.case_id in active - held
            and pair.person_id not in debtors | called
            and debtor not in called | {debtor_of[f.case_id] for f in found}
            and pair.e164 not in unclean
        ):
            found.append(pair)
    assert len(found) >= 3, "the book has too few clean third parties for the gate"
    return found[0], found[1], found[2]


def _debtor_numbers(sessions: SessionFactory, case_id: int) -> list[Pair]:
    """The case's debtor's numbers, as (case, number) pairs, by number id."""
    with sessions() as session:
        rows = session.execute(
            select(Case.id, PhoneNumber.id, PhoneNumber.person_id, PhoneNumber.e164)
            .join(PhoneNumber, PhoneNumber.person_id == Case.debtor_id)
            .where(Case.id == case_id)
            .order_by(PhoneNumber.id)
        ).all()
    return [Pair(*row) for row in rows]
