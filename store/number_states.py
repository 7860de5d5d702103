"""What a call taught us about a number: the network said it does not exist (空号), or the
agent found it is not the person's (号码错误). Either takes the number out of dialling (the
profiles' ``number_state`` rules) and, for a debtor's numbers, counts toward the
third-party gate's "every debtor number unreachable". Audit-logged; only a number not yet
known to be bad is changed, so the first finding (and its reason) is the one kept."""

from __future__ import annotations

from sqlalchemy.orm import Session

from store.audit import record_audit
from store.enums import NumberState
from store.models import PhoneNumber

_STILL_GOOD = (NumberState.UNVERIFIED, NumberState.VERIFIED)


def mark_number(
    session: Session, phone_number_id: int | None, state: NumberState, actor: str, why: str
) -> bool:
    """Set the number's state to ``state`` (unreachable or wrong_person) if it was still
    good; whether it changed. The change is an ORM update, so the kept schedule is marked
    for the number's person (``store.schedule_marks``)."""
    number = session.get(PhoneNumber, phone_number_id) if phone_number_id else None
    if number is None or number.state not in _STILL_GOOD:
        return False
    before = number.state
    number.state = state
    session.flush()
    record_audit(
        session,
        actor,
        f"number.{state.value}",
        object_type="phone_number",
        object_id=str(number.id),
        detail={"before": before.value, "why": why},
    )
    return True
