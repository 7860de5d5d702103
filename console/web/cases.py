"""A case's timeline for QA, admins and supervisors (an agent's own cases are under
``/agent/cases``): the same page, every flag in their scope, no consent form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select

from console.web.agent import show_case
from console.web.auth import CASE_READERS, Principal
from console.web.inputs import DbId
from console.web.pages import ReadDB
from store.complaints import visible_cases
from store.models import Case

router = APIRouter(prefix="/cases")


@router.get("/{case_id}")
def case_page(
    request: Request,
    case_id: DbId,
    me: Annotated[Principal, Depends(CASE_READERS)],
    session: ReadDB,
) -> Response:
    # The scope rule's cases: QA and admins all, a supervisor their teams' agents' cases.
    seen = session.scalar(select(Case.id).where(Case.id == case_id, visible_cases(me)))
    return show_case(request, me, session, case_id, seen is not None)
