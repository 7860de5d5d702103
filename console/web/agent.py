"""The agent's pages: my worklist, preview dialling, the mandatory note, case history."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from console import queue_labels, worklists
from console.agent_queue import FILTERS, CaseQueue
from console.errors import DialerBusy
from console.i18n import N_, _, say, translated
from console.note_drafts import MISSING_ZH, DraftedNote, draft_for_attempt, missing_fields
from console.wallboard import PAUSE_LABELS
from console.web.auth import AGENT, Principal, my_agent
from console.web.dialing import DialRequest
from console.web.inputs import DbId, FormId
from console.web.labels import complaint_labels
from console.web.pages import DB, ReadDB, cw, dialer, now, render
from console.wording import Wording, wording_for
from console.worklist_cache import worklist_page
from dialer.calls import DialItem
from store.agent_pause import current_pause
from store.case_timeline import audit_snippets, case_timeline
from store.consents import case_consents
from store.enums import AccountClass, ConsentScope, Role
from store.models import Agent, CallAttempt, Case
from store.notes import (
    DraftShown,
    NoteError,
    NoteInput,
    NoteOutcome,
    add_note,
    calls_in_flight,
    case_history,
    pending_notes,
)
from store.payments.case_view import case_payments
from store.said import LIST_JOIN

router = APIRouter(prefix="/agent")
WORKLIST_CASES = 50
OUTCOME_LABELS = {
    NoteOutcome.PROMISE_TO_PAY: N_("承诺还款"),
    NoteOutcome.NEGOTIATING: N_("协商中"),
    NoteOutcome.REFUSED: N_("拒绝还款"),
    NoteOutcome.THIRD_PARTY: N_("第三方转告"),
    NoteOutcome.COMPLAINT: N_("投诉倾向"),
    NoteOutcome.NO_ANSWER: N_("无人接听"),
    NoteOutcome.BUSY: N_("占线"),
    NoteOutcome.WRONG_NUMBER: N_("号码错误"),
    NoteOutcome.OTHER: N_("其他"),
}


def _today(request: Request) -> date:
    """Today on the centre's clock (a promise is made in the callee's day, not in UTC's)."""
    return now(request).astimezone(_zone(request)).date()


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(cw(request).settings.policy.timezone)


def _prefill(drafted: DraftedNote | None, today: date) -> dict[str, str]:
    """The note form's fields as the draft fills them (a day already past is left blank)."""
    if drafted is None:
        return {}
    d = drafted.draft
    cents = d.promised_amount_cents
    return {
        "outcome": d.outcome.value,
        "amount": ""
        if cents is None
        else f"{cents // 100}" + (f".{cents % 100:02d}" if cents % 100 else ""),
        "date": d.promised_date.isoformat() if d.promised_date and d.promised_date >= today else "",
        "text": d.summary,
        "of": str(drafted.recording_id),
    }


def _worklist(request: Request, session: Session, agent: Agent, show: str) -> CaseQueue:
    """The agent's most due cases: the kept schedule's rows (the page read last time, while
    nothing it shows has changed), or computed (and said so)."""
    app, mine = cw(request), (agent.id, agent.code)
    profile, at = app.profile(), now(request)
    pages = app.worklist_pages
    return worklist_page(pages, session, profile, at, mine, show=show, limit=WORKLIST_CASES)


@router.get("")
def worklist(
    request: Request,
    me: Annotated[Principal, Depends(AGENT)],
    session: ReadDB,
    error: str = "",
    show: str = "",
) -> Response:
    return _worklist_page(request, me, session, error, show)


def _worklist_page(  # noqa: PLR0917 (the route's, and what a refused note form said)
    request: Request,
    me: Principal,
    session: Session,
    error: str = "",
    show: str = "",
    typed: dict[str, str] | None = None,
) -> Response:
    """The worklist; ``typed``: the note form as the agent sent it, when saving it was refused
    (shown again as sent, so a refusal never throws the agent's edits away)."""
    agent = my_agent(session, me)
    if show not in FILTERS:
        raise HTTPException(
            422,
            _("筛选须为以下之一：%(names)s")
            % {"names": _(LIST_JOIN).join(_(queue_labels.FILTERS_ZH[f]) for f in FILTERS if f)},
        )
    in_flight = calls_in_flight(session, agent.id)
    pending = pending_notes(session, agent.id)
    # The next call is offered only once every finished call has its note.
    found = None if in_flight or pending else _worklist(request, session, agent, show)
    # The form opens filled from the call's transcript when there is one; the agent edits it.
    drafted = draft_for_attempt(session, pending[0], _zone(request)) if pending else None
    wording, current = _worklist_wording(request, session, in_flight or pending, found)
    form = (
        typed
        if typed and pending and typed["attempt"] == str(pending[0].id)
        else _prefill(drafted, _today(request))
    )
    return render(
        request,
        "agent_worklist.html",
        me,
        409 if error else 200,
        agent=agent,
        in_flight=in_flight,
        pending=pending,
        cases=found.rows if found else [],
        total=found.total if found else 0,
        computed=say(found.computed) if found and found.computed else None,
        show=show,
        filters=translated(queue_labels.FILTERS_ZH),
        attempt_zh=queue_labels.ATTEMPT_ZH,
        outcome_zh=queue_labels.OUTCOME_ZH,
        promise_labels=translated(queue_labels.PROMISE_ZH),
        outcomes=translated(OUTCOME_LABELS),
        classes=list(AccountClass),
        unavailable=dialer(request).unavailable(),
        placing=dialer(request).placing(agent.id),
        error=error,
        today=_today(request).isoformat(),
        draft=form,
        missing=missing_fields(form),
        missing_said=MISSING_ZH,
        wording=wording,
        current=current,
        paused=current_pause(session, agent.id),
        pause_reasons=PAUSE_LABELS,
    )


def _worklist_wording(
    request: Request, session: Session, calls: list[CallAttempt], found: CaseQueue | None
) -> tuple[Wording, int | None]:
    """The phrases panel, and the case it opens for: the call up now or owing its note, else
    the first case with a number to dial (the one "dial next" dials)."""
    app, at = cw(request), now(request)
    if calls:
        call = calls[0]
        dialled = {call.case_id: call.phone_number_id} if call.phone_number_id else {}
        return wording_for(app, session, None, [call.case_id], at, dialled), call.case_id
    rows = found.rows if found else []
    files = {row.file.case_id: row.file for row in rows}
    dialling = {}  # the number each case would be dialled on next: its first dialable one
    for row in rows:
        first = next((n for n in row.numbers if n.dialable), None)
        if first is not None:
            dialling[row.file.case_id] = first.phone_number_id
    current = next((row.file.case_id for row in rows if row.file.case_id in dialling), None)
    return wording_for(app, session, files, list(files), at, dialling), current


@router.post("/dial")
def dial(
    request: Request,
    me: Annotated[Principal, Depends(AGENT)],
    session: ReadDB,  # the dialer writes the attempt in its own transaction
    phone_number_id: FormId,
    case_id: FormId,
) -> Response:
    agent = my_agent(session, me)
    paused = current_pause(session, agent.id)
    if paused is not None:
        why = PAUSE_LABELS.get(paused.reason, paused.reason)
        return worklist(
            request,
            me,
            session,
            error=_("您处于暂停状态（%(why)s），请先恢复接听。") % {"why": _(why)},
        )
    if pending_notes(session, agent.id):
        return worklist(
            request,
            me,
            session,
            error=_("请先为上一通电话写催记"),
        )
    if calls_in_flight(session, agent.id):
        return worklist(request, me, session, error=_("仍有通话在进行"))
    why_not = dialer(request).unavailable()
    if why_not:
        return worklist(request, me, session, error=why_not)
    # Only what the scheduler offers this agent now: a form cannot name any other number.
    profile = cw(request).profile()
    work = worklists.offered(session, profile, now(request), agent.code, (phone_number_id, case_id))
    if work is None:
        return worklist(
            request,
            me,
            session,
            error=_("该号码现在不在您的工作队列中"),
        )
    item = DialItem(phone_number_id, case_id, work.e164)
    try:
        dialer(request).dial(DialRequest(agent.id, agent.sip_endpoint, item, now(request)))
    except DialerBusy as busy:
        return worklist(request, me, session, error=str(busy))
    return RedirectResponse("/agent", status_code=303)


# Yuan with at most two decimals, ASCII digits only: Decimal() alone would take NaN, inf,
# 1e308 and full-width digits. The ceiling keeps cents inside the column (32-bit on PostgreSQL).
_AMOUNT = re.compile(r"[0-9]{1,9}(\.[0-9]{1,2})?")
MAX_PROMISED_CENTS = 1_000_000_000  # 10 million yuan
PROMISE_HORIZON = timedelta(days=366)


def _amount_cents(text: str) -> int | None:
    if not text.strip():
        return None
    if not _AMOUNT.fullmatch(text.strip()):
        raise NoteError(N_("承诺金额须为元，如 1200.50，而不是 %(text)r"), text=text[:40])
    cents = int(Decimal(text.strip()) * 100)
    if not 0 < cents <= MAX_PROMISED_CENTS:
        raise NoteError(
            N_("承诺金额须大于 0 且不超过 %(most)s 元"), most=f"{MAX_PROMISED_CENTS // 100:,}"
        )
    return cents


def _account_class(text: str) -> AccountClass | None:
    if not text:
        return None
    try:
        return AccountClass(text)
    except ValueError as exc:
        choices = tuple(c.value for c in AccountClass)
        raise NoteError(
            N_("分类须为 %(choices)s 之一，而不是 %(text)r"), choices=choices, text=text[:10]
        ) from exc


def _day(text: str, today: date) -> date | None:
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError as exc:
        raise NoteError(N_("承诺日期格式应为 YYYY-MM-DD：%(text)r"), text=text) from exc
    if not today <= day <= today + PROMISE_HORIZON:
        raise NoteError(N_("承诺日期 %(day)s 须在今天（%(today)s）到一年内"), day=day, today=today)
    return day


@router.post("/notes")
def save_note(  # noqa: PLR0917 (the note form)
    request: Request,
    me: Annotated[Principal, Depends(AGENT)],
    session: DB,
    attempt_id: FormId,
    outcome: Annotated[NoteOutcome, Form()],
    text: Annotated[str, Form(max_length=4000)] = "",
    account_class: Annotated[str, Form()] = "",
    promised_amount: Annotated[str, Form(max_length=20)] = "",
    promised_date: Annotated[str, Form(max_length=10)] = "",
    draft_of: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    agent = my_agent(session, me)
    try:
        shown = _draft_shown(request, session, attempt_id, draft_of)
        note = NoteInput(
            attempt_id,
            outcome,
            _account_class(account_class),
            text,
            _amount_cents(promised_amount),
            _day(promised_date, _today(request)),
            shown,
        )
        with session.begin_nested():
            add_note(session, agent.id, me.username, note, now(request))
    except (NoteError, ValueError) as exc:
        typed = {
            "attempt": str(attempt_id),
            "outcome": outcome.value,
            "account_class": account_class,
            "amount": promised_amount,
            "date": promised_date,
            "text": text,
            "of": draft_of,
        }
        return _worklist_page(request, me, session, error=say(exc), typed=typed)
    return RedirectResponse("/agent", status_code=303)


def _draft_shown(
    request: Request, session: Session, attempt_id: int, draft_of: str
) -> DraftShown | None:
    """The draft the form showed, drafted again here from the same transcript: the form only
    says which transcript, so the kept draft is the rules' output, never the browser's."""
    if not draft_of:
        return None
    attempt = session.get(CallAttempt, attempt_id)
    drafted = draft_for_attempt(session, attempt, _zone(request)) if attempt else None
    if drafted is None or str(drafted.recording_id) != draft_of:
        return None  # a newer transcript than the one shown: no draft was shown for it
    return drafted.shown()


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: DbId,
    me: Annotated[Principal, Depends(AGENT)],
    session: ReadDB,
    error: str = "",
) -> Response:
    return show_case(request, me, session, case_id, is_mine(request, session, me, case_id), error)


def show_case(  # noqa: PLR0917 (the page, whether it may be shown, where to audit)
    request: Request,
    me: Principal,
    session: Session,
    case_id: int,
    allowed: bool,
    error: str = "",
    audit_in: Session | None = None,
) -> Response:
    """The case page, if the route found the case is one ``me`` may see (``allowed``; a
    case they may not see is a 404, as one that does not exist). A route that already holds
    a writing transaction passes it as ``audit_in`` (under SQLite a second writer would wait
    on it for ever)."""
    history = case_history(session, case_id) if allowed else None
    if history is None:
        raise HTTPException(404, _("您的案件中没有这个案件"))
    money = case_payments(session, history.case, history.notes, now(request), _zone(request))
    timeline = case_timeline(session, history.case, me, now(request), _zone(request))
    shown = timeline.snippet_recordings
    # The snippets are the calls' words: logged as a playback is, committed before the page
    # leaves; in a short write of its own, so reading a case never holds SQLite's write lock.
    if shown and audit_in is not None:
        audit_snippets(audit_in, me.username, case_id, shown)
    elif shown:
        with cw(request).sessions.begin() as audit:
            audit_snippets(audit, me.username, case_id, shown)
    wording = (
        wording_for(cw(request), session, None, [case_id], now(request))
        if me.role == Role.AGENT
        else None
    )
    return render(
        request,
        "agent_case.html",
        me,
        wording=wording,
        current=case_id,
        history=history,
        timeline=timeline,
        labels=queue_labels,
        complaint_labels=complaint_labels(),
        outcomes=translated(OUTCOME_LABELS),
        money=money,
        promise_labels=translated(queue_labels.PROMISE_ZH),
        consents=case_consents(session, case_id),
        scopes=list(ConsentScope),
        error=error,
    )


def is_mine(request: Request, session: Session, me: Principal, case_id: int) -> bool:
    """An agent's case: assigned to them, called by them, or dealt to them by the scheduler."""
    agent = my_agent(session, me)
    mine = session.scalar(
        select(Case.id).where(
            Case.id == case_id,
            or_(
                Case.assigned_agent_id == agent.id,
                exists().where(CallAttempt.case_id == Case.id, CallAttempt.agent_id == agent.id),
            ),
        )
    )
    if mine is not None:
        return True
    profile = cw(request).profile()
    # not assigned to anyone, dealt to this agent by the scheduler
    return worklists.deals_case(session, profile, now(request), agent.code, case_id)
