"""The "listen to this" queue (待复听): weak sound matches QA hears and decides on.

Its own routes and templates, beside the flag queue: a review item is never a flag
until a person makes it one (store.review).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from console.enum_names import REVIEW_ZH
from console.i18n import _, say, translated
from console.web.auth import QA, Principal
from console.web.inputs import DbId
from console.web.pages import DB, ReadDB, now, render
from console.web.qa import Period, period
from store.enums import ReviewStatus
from store.errors import ReviewClosed
from store.models import Agent, ReviewItem
from store.review import ReviewFilter, dismiss, promote, review_queue, review_seconds

router = APIRouter(prefix="/qa")
STATUS_LABELS = REVIEW_ZH
Note = Annotated[str, Form(max_length=2000)]
Back = Annotated[str, Form()]


def _status(text: str) -> ReviewStatus | None:
    if text == "all":
        return None
    if not text:
        return ReviewStatus.OPEN
    try:
        return ReviewStatus(text)
    except ValueError as exc:
        choices = ", ".join([*ReviewStatus, "all"])
        raise HTTPException(
            400,
            _("状态须为以下之一：%(names)s，而不是 %(text)r") % {"names": choices, "text": text},
        ) from exc


def review_filter(
    days: Annotated[Period, Depends(period)],
    category: str = "",
    agent: str = "",
    status: str = "",
) -> ReviewFilter:
    return ReviewFilter(category or None, agent or None, *days, _status(status))


@router.get("/review")
def review_page(
    request: Request,
    me: Annotated[Principal, Depends(QA)],
    session: ReadDB,
    wanted: Annotated[ReviewFilter, Depends(review_filter)],
) -> Response:
    calls, seconds = review_seconds(session)
    return render(
        request,
        "qa_review.html",
        me,
        rows=review_queue(session, wanted),
        categories=sorted(set(session.scalars(select(ReviewItem.category).distinct()))),
        agents=list(session.scalars(select(Agent.code).order_by(Agent.code))),
        statuses=translated(STATUS_LABELS),
        form=request.query_params,
        per_100=seconds / 60 / calls * 100 if calls else 0.0,
    )


def _after(back: str, recording_id: int, anchor: str) -> RedirectResponse:
    # Only two places to go back to: never a URL taken from the form.
    target = "/qa/review" if back == "queue" else f"/qa/calls/{recording_id}#{anchor}"
    return RedirectResponse(target, status_code=303)


@contextmanager
def _closing_an_item() -> Iterator[None]:
    """A missing item is a 404; one another inspector closed first is a 409."""
    try:
        yield
    except LookupError as exc:
        raise HTTPException(404, _("没有这条待复听语句")) from exc
    except ReviewClosed as exc:
        raise HTTPException(409, say(exc)) from exc


@router.post("/review/{item_id}/promote")
def promote_item(  # noqa: PLR0917 (the one-click form)
    request: Request,
    item_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
    note: Note = "",
    back: Back = "",
) -> Response:
    """转为违规: the item becomes exactly one flag, recorded as made by this person."""
    with _closing_an_item():
        flag, _ = promote(session, item_id, me.username, note.strip(), now(request))
    return _after(back, flag.recording_id, f"flag-{flag.id}")


@router.post("/review/{item_id}/dismiss")
def dismiss_item(  # noqa: PLR0917 (the one-click form)
    request: Request,
    item_id: DbId,
    me: Annotated[Principal, Depends(QA)],
    session: DB,
    note: Note = "",
    back: Back = "",
) -> Response:
    """无问题: QA listened and heard nothing wrong."""
    with _closing_an_item():
        item = dismiss(session, item_id, me.username, note.strip(), now(request))
    return _after(back, item.recording_id, f"review-{item.id}")
