"""The complaint register (投诉): opening a complaint links what the case holds and stops
collection on it (停催); resolving it lifts that hold, and only that hold. Every change is
audit-logged in the caller's transaction.

Who sees which complaints is :mod:`store.scope`'s rule applied to the case: a supervisor sees
complaints on cases worked or held by the agents of their teams.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.orm import Session, aliased

from compliance.complaints import (
    Channel,
    ComplaintStatus,
    DueDays,
    Grade,
    derive_grade,
    due_on,
)
from store.audit import record_audit
from store.enums import HoldReason, Speaker
from store.holds import clear_hold
from store.models import (
    CallAttempt,
    Case,
    CollectionNote,
    Complaint,
    ComplaintLink,
    Flag,
    Hold,
    Recording,
)
from store.said import N_, SaidError
from store.scope import SEES_EVERY_AGENT, Viewer, visible_agent_ids

COMPLAINT_TENDENCY = "complaint_tendency"
LINK_KINDS = ("call_attempt", "recording", "flag", "note")
"""What a complaint links; a recording's transcript (its utterances) comes with it."""


class ComplaintError(SaidError):
    """A complaint that cannot be opened or changed; the message names the field and why."""


@dataclass(frozen=True)
class NewComplaint:
    """What a person fills in to open a complaint."""

    case_id: int
    channel: Channel
    alleged: str
    handler: str
    grade: Grade | None = None
    """None: the grade the channel implies."""
    source_flag_id: int | None = None
    window_from: datetime | None = None
    """None: everything on the case up to ``window_to``."""
    window_to: datetime | None = None
    """None: everything the case holds when it is opened."""


def visible_cases(viewer: Viewer) -> ColumnElement[bool]:
    """A condition on :class:`Case`: assigned to, or called by, an agent ``viewer`` sees."""
    if viewer.role in SEES_EVERY_AGENT:
        return true()
    agents = visible_agent_ids(viewer)
    worked = aliased(CallAttempt)  # its own: the outer query may select attempts too
    return or_(
        Case.assigned_agent_id.in_(agents),
        exists().where(worked.case_id == Case.id, worked.agent_id.in_(agents)),
    )


def visible_complaint(session: Session, viewer: Viewer, complaint_id: int) -> Complaint | None:
    """The complaint if ``viewer`` may see it; None as for one that does not exist."""
    return session.scalar(
        select(Complaint)
        .join(Case, Case.id == Complaint.case_id)
        .where(Complaint.id == complaint_id, visible_cases(viewer))
    )


def list_complaints(
    session: Session, viewer: Viewer, status: ComplaintStatus | None = None
) -> list[tuple[Complaint, str]]:
    """The complaints ``viewer`` sees with each case's account number, open ones due first."""
    query = (
        select(Complaint, Case.account_no)
        .join(Case, Case.id == Complaint.case_id)
        .where(visible_cases(viewer))
        .order_by(Complaint.status, Complaint.due_on, Complaint.id)
    )
    if status is not None:
        query = query.where(Complaint.status == status)
    return [(row[0], row[1]) for row in session.execute(query)]


def _case_of_flag(session: Session, flag_id: int) -> int | None:
    return session.scalar(
        select(CallAttempt.case_id)
        .join(Recording, Recording.call_attempt_id == CallAttempt.id)
        .join(Flag, Flag.recording_id == Recording.id)
        .where(Flag.id == flag_id)
    )


def _checked(session: Session, new: NewComplaint) -> tuple[str, str]:
    alleged, handler = new.alleged.strip(), new.handler.strip()
    if not alleged:
        raise ComplaintError(N_("投诉内容：请写明投诉人反映的问题"))
    if not handler:
        raise ComplaintError(N_("处理人：请填写由谁处理该投诉"))
    if len(handler) > 64:
        raise ComplaintError(N_("处理人：最多 64 个字符"))
    # Locked (PostgreSQL) as a retention run locks the cases it deletes from: the complaint's
    # hold on the evidence is either seen by the run or placed after it committed.
    if session.get(Case, new.case_id, with_for_update=True) is None:
        raise ComplaintError(N_("案件 %(case)s：不存在"), case=new.case_id)
    flag = new.source_flag_id
    if flag is not None and _case_of_flag(session, flag) != new.case_id:
        raise ComplaintError(N_("标记 %(flag)s：不是本案件通话上的标记"), flag=new.source_flag_id)
    since, until = new.window_from, new.window_to
    if since is not None and until is not None and since > until:
        raise ComplaintError(N_("关联时段：开始晚于结束"))
    return alleged, handler


def open_complaint(  # noqa: PLR0917 (the complaint, who, when, the due days and the clock's zone)
    session: Session, new: NewComplaint, actor: str, now: datetime, due: DueDays, zone: str
) -> Complaint:
    """Register a complaint, link the case's calls, recordings, flags and notes in the window,
    and put the case on hold until it is resolved."""
    alleged, handler = _checked(session, new)
    derived = derive_grade(new.channel)
    grade = new.grade or derived
    hold = Hold(
        case_id=new.case_id,
        reason=HoldReason.COMPLAINT,
        detail="",
        source_flag_id=new.source_flag_id,
        placed_by=actor,
        placed_at=now,
    )
    session.add(hold)
    session.flush()
    complaint = Complaint(
        case_id=new.case_id,
        channel=new.channel,
        grade=grade,
        derived_grade=derived,
        alleged=alleged,
        handler=handler,
        opened_by=actor,
        opened_at=now,
        due_on=due_on(grade, now.astimezone(ZoneInfo(zone)).date(), due),
        status=ComplaintStatus.OPEN,
        resolution="",
        bank_told=False,
        hold_id=hold.id,
        source_flag_id=new.source_flag_id,
        window_from=new.window_from,
        window_to=new.window_to,
    )
    session.add(complaint)
    session.flush()
    # the hold's reason says 投诉处理中 in the reader's language; its detail names which one
    hold.detail = f"#{complaint.id}"
    links = _link_case(session, complaint)
    record_audit(
        session,
        actor,
        "complaint.open",
        object_type="complaint",
        object_id=str(complaint.id),
        detail={
            "case": new.case_id,
            "channel": new.channel.value,
            "grade": grade.value,
            "hold": hold.id,
            "flag": new.source_flag_id,
            "links": links,
        },
    )
    return complaint


def _link_case(session: Session, complaint: Complaint) -> dict[str, int]:
    """Link every attempt of the case in the window, their recordings and flags, and the
    case's notes in the window; returns how many of each."""
    since, until = complaint.window_from, complaint.window_to
    in_window = [CallAttempt.case_id == complaint.case_id]
    if since is not None:
        in_window.append(CallAttempt.reserved_at >= since)
    if until is not None:
        in_window.append(CallAttempt.reserved_at < until)
    attempts = list(session.scalars(select(CallAttempt.id).where(*in_window)))
    recordings = list(
        session.scalars(select(Recording.id).where(Recording.call_attempt_id.in_(attempts)))
    )
    flags = list(session.scalars(select(Flag.id).where(Flag.recording_id.in_(recordings))))
    note_window = [CollectionNote.case_id == complaint.case_id]
    if since is not None:
        note_window.append(CollectionNote.created_at >= since)
    if until is not None:
        note_window.append(CollectionNote.created_at < until)
    notes = list(session.scalars(select(CollectionNote.id).where(*note_window)))
    found = dict(zip(LINK_KINDS, (attempts, recordings, flags, notes), strict=True))
    for kind, ids in found.items():
        session.add_all(
            ComplaintLink(complaint_id=complaint.id, kind=kind, object_id=i) for i in sorted(ids)
        )
    session.flush()
    return {kind: len(ids) for kind, ids in found.items()}


def linked_ids(session: Session, complaint_id: int, kind: str) -> list[int]:
    return list(
        session.scalars(
            select(ComplaintLink.object_id)
            .where(ComplaintLink.complaint_id == complaint_id, ComplaintLink.kind == kind)
            .order_by(ComplaintLink.object_id)
        )
    )


def _open(session: Session, complaint_id: int) -> Complaint:
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintError(N_("投诉 %(complaint)s：不存在"), complaint=complaint_id)
    if complaint.status is not ComplaintStatus.OPEN:
        raise ComplaintError(N_("投诉 %(complaint)s：已办结"), complaint=complaint_id)
    return complaint


def regrade(  # noqa: PLR0917 (the change, who, and the rules for the due day)
    session: Session, complaint_id: int, grade: Grade, actor: str, due: DueDays, zone: str
) -> Complaint:
    """A person changes the grade; the due day follows it, counted from the day it opened."""
    complaint = _open(session, complaint_id)
    before = complaint.grade
    complaint.grade = grade
    opened_on = complaint.opened_at.astimezone(ZoneInfo(zone)).date()
    complaint.due_on = due_on(grade, opened_on, due)
    record_audit(
        session,
        actor,
        "complaint.grade",
        object_type="complaint",
        object_id=str(complaint.id),
        detail={"from": before.value, "to": grade.value, "due_on": complaint.due_on.isoformat()},
    )
    return complaint


def resolve_complaint(  # noqa: PLR0917 (what resolving is made of)
    session: Session,
    complaint_id: int,
    resolution: str,
    bank_told: bool,
    actor: str,
    now: datetime,
) -> Complaint:
    """Close the complaint and lift its own hold; other holds on the case stay."""
    complaint = _open(session, complaint_id)
    if not resolution.strip():
        raise ComplaintError(N_("处理结果：请写明投诉如何办结"))
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolution = resolution.strip()
    complaint.bank_told = bank_told
    complaint.resolved_by, complaint.resolved_at = actor, now
    hold = session.get_one(Hold, complaint.hold_id)
    if hold.cleared_at is None:  # an admin may have lifted it already, with their reason
        note = f"#{complaint.id}: {complaint.resolution}"
        clear_hold(session, hold.id, actor, note[:2000], now)
    record_audit(
        session,
        actor,
        "complaint.resolve",
        object_type="complaint",
        object_id=str(complaint.id),
        detail={"hold": hold.id, "bank_told": bank_told},
    )
    return complaint


def set_bank_told(session: Session, complaint_id: int, actor: str) -> Complaint:
    """The bank was told the outcome after the complaint was resolved."""
    complaint = session.get(Complaint, complaint_id)
    if complaint is None:
        raise ComplaintError(N_("投诉 %(complaint)s：不存在"), complaint=complaint_id)
    if not complaint.bank_told:
        complaint.bank_told = True
        record_audit(
            session,
            actor,
            "complaint.bank_told",
            object_type="complaint",
            object_id=str(complaint.id),
        )
    return complaint


@dataclass(frozen=True)
class Offer:
    """A callee's complaint (complaint_tendency) with no complaint registered since."""

    flag_id: int
    recording_id: int
    case_id: int
    account_no: str
    evidence: str
    at: datetime


def complaint_offers(session: Session, viewer: Viewer, limit: int = 50) -> list[Offer]:
    """Flagged complaints on cases ``viewer`` sees that nobody has registered yet."""
    registered = (
        exists()
        .where(Complaint.case_id == CallAttempt.case_id, Complaint.opened_at >= Flag.created_at)
        .correlate_except(Complaint)
    )
    rows = session.execute(
        select(Flag, Recording.id, Case.id, Case.account_no)
        .join(Recording, Recording.id == Flag.recording_id)
        .join(CallAttempt, CallAttempt.id == Recording.call_attempt_id)
        .join(Case, Case.id == CallAttempt.case_id)
        .where(
            Flag.category == COMPLAINT_TENDENCY,
            Flag.speaker != Speaker.AGENT,
            ~registered,
            visible_cases(viewer),
        )
        .order_by(Flag.created_at.desc(), Flag.id.desc())
        .limit(limit)
    ).all()
    return [
        Offer(f.id, rec, case, account, f.evidence, f.created_at) for f, rec, case, account in rows
    ]
