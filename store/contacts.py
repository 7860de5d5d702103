"""Who was called on a recorded call, as the detector's contact rules need it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import CallAttempt, Case, CaseContact, Recording


def contact_type(session: Session, row: Recording) -> str:
    """Who was called: the recording's own label, else the attempt's person to the case."""
    if row.contact_type:
        return row.contact_type
    if row.call_attempt_id is None:
        return "unknown"
    return attempt_contact_type(session, session.get_one(CallAttempt, row.call_attempt_id))


def attempt_contact_type(session: Session, attempt: CallAttempt) -> str:
    """Who was called on ``attempt``: the debtor, or the contact's relation to the case."""
    if session.get_one(Case, attempt.case_id).debtor_id == attempt.person_id:
        return "debtor"
    relation = session.scalars(
        select(CaseContact.relation).where(
            CaseContact.case_id == attempt.case_id, CaseContact.person_id == attempt.person_id
        )
    ).first()
    return relation.value if relation is not None else "unknown"
