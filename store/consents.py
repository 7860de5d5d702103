"""A debtor's consent on a case (issue 19): requested by an agent with its evidence, approved
by a supervisor or an admin, withdrawn by anyone who sees the case; every change
audit-logged in the writer's transaction.

Only an approved, not withdrawn consent reaches the policy
(:func:`store.dial_filters.consents_in_force`), and the policy counts it only while it is in
force and only for the debtor. Which cases a supervisor may approve on is
:mod:`store.scope`'s rule: the cases of the agents they lead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.audit import record_audit
from store.enums import ConsentScope, Role
from store.models import CallAttempt, Case, CaseConsent, Recording, Utterance
from store.said import N_, SaidError
from store.scope import Viewer, visible_agent_ids

LONGEST_CONSENT = timedelta(days=366)
"""A consent expires: none is recorded for longer than a year."""
APPROVERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
NOT_FOUND = N_("同意 %(consent)s：不存在")
"""The refusal for a consent that does not exist or that the viewer may not see (a 404)."""


class ConsentError(SaidError):
    """A consent change that cannot be made; the message names the field and why."""


@dataclass(frozen=True)
class ConsentRequest:
    """What an agent records: the scope, the period and the evidence (a call of this case and
    optionally the utterance in it where the debtor agreed, or a note; or both)."""

    case_id: int
    scope: ConsentScope
    valid_from: datetime
    valid_until: datetime
    call_attempt_id: int | None = None
    utterance_id: int | None = None
    note: str = ""


def request_consent(
    session: Session, request: ConsentRequest, actor: str, now: datetime
) -> CaseConsent:
    if session.get(Case, request.case_id) is None:
        raise ConsentError(N_("案件 %(case)s：不存在"), case=request.case_id)
    if not request.valid_from < request.valid_until:
        raise ConsentError(N_("有效期至：须晚于生效时间"))
    if request.valid_until <= now:
        raise ConsentError(N_("有效期至：已经过去"))
    if request.valid_until - request.valid_from > LONGEST_CONSENT:
        raise ConsentError(N_("有效期至：同意最长一年"))
    _check_evidence(session, request)
    row = CaseConsent(
        case_id=request.case_id,
        scope=request.scope,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        call_attempt_id=request.call_attempt_id,
        utterance_id=request.utterance_id,
        evidence_note=request.note.strip(),
        requested_by=actor,
        requested_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, actor, "consent.request", row)
    return row


def _check_evidence(session: Session, request: ConsentRequest) -> None:
    if request.call_attempt_id is None and not request.note.strip():
        raise ConsentError(N_("证据：请填写债务人表示同意的通话，或写明说明"))
    if request.utterance_id is not None and request.call_attempt_id is None:
        raise ConsentError(N_("话语编号：请同时填写它所在的通话"))
    if request.call_attempt_id is not None:
        call = session.get(CallAttempt, request.call_attempt_id)
        if call is None or call.case_id != request.case_id:
            raise ConsentError(N_("通话 %(call)s：不是本案件的通话"), call=request.call_attempt_id)
    if request.utterance_id is not None:
        owner = session.scalar(
            select(Recording.call_attempt_id)
            .join(Utterance, Utterance.recording_id == Recording.id)
            .where(Utterance.id == request.utterance_id)
        )
        if owner != request.call_attempt_id:
            raise ConsentError(
                N_("话语 %(utterance)s：不在该通话中"), utterance=request.utterance_id
            )


def approve_consent(
    session: Session, consent_id: int, viewer: Viewer, actor: str, now: datetime
) -> CaseConsent:
    """A supervisor (for the cases of agents they lead) or an admin puts a request in force."""
    row = _visible(session, consent_id, viewer)
    if viewer.role not in APPROVERS:
        raise ConsentError(N_("只有主管或管理员可以批准同意"))
    if row.approved_at is not None:
        raise ConsentError(
            N_("同意 %(consent)s 已由 %(who)s 批准"), consent=consent_id, who=row.approved_by
        )
    if row.withdrawn_at is not None:
        raise ConsentError(N_("同意 %(consent)s 已撤回"), consent=consent_id)
    if row.valid_until <= now:
        raise ConsentError(N_("同意 %(consent)s 已过期"), consent=consent_id)
    row.approved_by, row.approved_at = actor, now
    _audit(session, actor, "consent.approve", row)
    return row


def withdraw_consent(  # noqa: PLR0917 (who, what, why, when)
    session: Session, consent_id: int, viewer: Viewer, actor: str, note: str, now: datetime
) -> CaseConsent:
    """The debtor takes it back (or a request is dropped): it stops counting at once."""
    row = _visible(session, consent_id, viewer)
    if row.withdrawn_at is not None:
        raise ConsentError(
            N_("同意 %(consent)s 已由 %(who)s 撤回"), consent=consent_id, who=row.withdrawn_by
        )
    if not note.strip():
        raise ConsentError(N_("说明：请写明撤回同意的原因"))
    row.withdrawn_by, row.withdrawn_at, row.withdraw_note = actor, now, note.strip()
    _audit(session, actor, "consent.withdraw", row)
    return row


def _visible(session: Session, consent_id: int, viewer: Viewer) -> CaseConsent:
    """The consent, if its case is one ``viewer`` may act on (else "not found", as for a
    consent that does not exist: a supervisor learns nothing of other teams' cases)."""
    row = session.get(CaseConsent, consent_id)
    if row is None or not may_see_case(session, viewer, row.case_id):
        raise ConsentError(NOT_FOUND, consent=consent_id)
    return row


def may_see_case(session: Session, viewer: Viewer, case_id: int) -> bool:
    """Whether ``viewer`` may act on the case's consents: an admin on every case, anyone
    else on the cases assigned to an agent :mod:`store.scope` lets them see."""
    if viewer.role is Role.ADMIN:
        return True
    assigned = select(Case.id).where(
        Case.id == case_id, Case.assigned_agent_id.in_(visible_agent_ids(viewer))
    )
    return session.scalar(assigned) is not None


def case_consents(session: Session, case_id: int) -> list[CaseConsent]:
    """Every consent of the case, newest first (requests, in force, expired, withdrawn)."""
    return list(
        session.scalars(
            select(CaseConsent)
            .where(CaseConsent.case_id == case_id)
            .order_by(CaseConsent.requested_at.desc(), CaseConsent.id.desc())
        )
    )


def pending_for(session: Session, viewer: Viewer) -> list[tuple[CaseConsent, str]]:
    """Requests awaiting approval on the cases ``viewer`` may approve on, with each case's
    account number, oldest first."""
    query = (
        select(CaseConsent, Case.account_no)
        .join(Case, Case.id == CaseConsent.case_id)
        .where(CaseConsent.approved_at.is_(None), CaseConsent.withdrawn_at.is_(None))
        .order_by(CaseConsent.requested_at, CaseConsent.id)
    )
    if viewer.role is not Role.ADMIN:
        query = query.where(Case.assigned_agent_id.in_(visible_agent_ids(viewer)))
    return [(row, account) for row, account in session.execute(query)]


def _audit(session: Session, actor: str, action: str, row: CaseConsent) -> None:
    record_audit(
        session,
        actor,
        action,
        object_type="case",
        object_id=str(row.case_id),
        detail={
            "consent": row.id,
            "scope": row.scope.value,
            "valid_from": row.valid_from.isoformat(),
            "valid_until": row.valid_until.isoformat(),
            "call_attempt": row.call_attempt_id,
            "utterance": row.utterance_id,
            "note": row.withdraw_note if action == "consent.withdraw" else row.evidence_note,
        },
    )
