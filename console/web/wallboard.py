"""The live wallboard (实时看板, /team/live): every agent a lead may see, what they are doing
now, today's counters and the live alerts as they come, pushed as server-sent events.

The page itself is whole without JavaScript (a reload shows the floor now); the console's own
``wallboard.js`` then follows ``/team/live/events``. Each open stream reads the floor from the
database every ``console.wallboard_poll_s`` and sends only what changed
(:func:`console.wallboard.changes`), a heartbeat comment when nothing has for a while, and
stops when the browser goes away, the session ends, or ``console.wallboard_stream_s`` is up
(the browser then reconnects to a fresh snapshot). Who is on the board is
:mod:`store.scope`'s rule, as on the team page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Request, Response
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from console.app import App
from console.enum_names import CATEGORY_ZH
from console.i18n import N_, _, translated
from console.listen_in import ListenIn
from console.wallboard import (
    HEARTBEAT,
    PAUSE_LABELS,
    SPEAKER_LABELS,
    STATE_LABELS,
    Board,
    board,
    changes,
    encode_event,
    retry_frame,
    snapshot,
)
from console.web.auth import LEADS, SESSION_COOKIE, Principal, resolve_session
from console.web.inputs import DbId
from console.web.pages import DB, ReadDB, cw, now, render
from dialer.errors import AmiUnavailable
from dialer.spy import SpyMode, spy_request
from store.agent_pause import resume
from store.listen_in import call_for_lead, own_endpoint, record_listen_in
from store.models import Agent
from store.scope import visible_agent_ids
from store.team_day import day_window
from store.types import utcnow
from store.wallboard import FloorRows, acknowledge_alert, floor_rows

log = logging.getLogger("callwarden.console")
router = APIRouter(prefix="/team/live")

RECONNECT_MS = 3000


@dataclass
class OpenStreams:
    """How many event streams this console is serving now (a stream that outlives its
    browser would hold a thread's worth of polling for nothing)."""

    count: int = 0
    closing: bool = False
    """The server is stopping: every stream ends at its next poll."""


def open_streams_of(web: FastAPI) -> OpenStreams:
    found: OpenStreams | None = getattr(web.state, "wallboard_streams", None)
    if found is None:
        found = web.state.wallboard_streams = OpenStreams()
    return found


def _rows_if_signed_in(
    app: App, me: Principal, token: str, at: datetime, before: FloorRows | None
) -> FloorRows | None:
    """The floor at ``at``, or None once the session behind the stream has ended (logged out,
    expired, disabled): a stream must not outlive the right to see it."""
    with app.reads() as session:
        if resolve_session(session, token, utcnow()) is None:
            return None
        start, end = day_window(at, app.settings.policy.timezone)
        return floor_rows(session, me, start, end, before)


@router.get("")
def live_page(
    request: Request, me: Annotated[Principal, Depends(LEADS)], session: ReadDB
) -> Response:
    at = now(request)
    start, end = day_window(at, cw(request).settings.policy.timezone)
    shown = board(floor_rows(session, me, start, end))
    day = start.date().isoformat()
    words = _words()
    return render(
        request,
        "team_live.html",
        me,
        day=day,
        board=shown,
        at=at,
        labels=words["states"],
        speakers=words["speakers"],
        pauses=words["pauses"],
        words=words,
    )


def _words() -> dict[str, Any]:
    """What static/wallboard.js writes itself, in the reader's language."""
    return {
        "states": translated(STATE_LABELS),
        "speakers": translated(SPEAKER_LABELS),
        "categories": translated(CATEGORY_ZH),
        "pauses": translated(PAUSE_LABELS),
        "modes": [[mode, _(name)] for mode, name in _MODES],
        "barge_in": _("一键强插"),
        "acknowledge": _("标记已阅"),
        "acknowledged": _("已阅"),
        "live": _("实时"),
        "reconnecting": _("连接中断，正在重连…"),
        "ringing": _("正在呼叫您的话机"),
        "at_s": _("第 %(s)s 秒"),
        "end_pause": _("结束暂停"),
        "paused_for": _("（%(reason)s）"),
    }


_MODES = (("listen", N_("监听")), ("whisper", N_("密语")), ("barge", N_("强插")))


@router.get("/events")
async def events(
    request: Request, me: Annotated[Principal, Depends(LEADS)], once: bool = False
) -> StreamingResponse:
    """The board as server-sent events: a ``snapshot``, then ``agent``, ``agent_gone``,
    ``alert`` and ``alert_seen`` as they happen. ``once``: the snapshot only, then close."""
    token = request.cookies.get(SESSION_COOKIE, "")
    return StreamingResponse(
        _frames(request, cw(request), me, token, once),
        media_type="text/event-stream",
        # Proxies (nginx) must pass each event on at once, not buffer the stream.
        headers={"X-Accel-Buffering": "no"},
    )


async def _frames(
    request: Request, app: App, me: Principal, token: str, once: bool
) -> AsyncIterator[bytes]:
    settings = app.settings.console
    clock: Callable[[], datetime] = request.app.state.clock
    loop = asyncio.get_running_loop()
    streams = open_streams_of(request.app)
    streams.count += 1
    try:
        yield retry_frame(RECONNECT_MS)
        last: Board | None = None
        rows: FloorRows | None = None
        opened = quiet_since = loop.time()
        while True:
            at = clock()
            rows = await run_in_threadpool(_rows_if_signed_in, app, me, token, at, rows)
            if rows is None:
                return
            new = board(rows)
            sent = snapshot(new, at) if last is None else changes(last, new)
            last = new
            for event in sent:
                yield encode_event(event)
            moment = loop.time()
            if sent:
                quiet_since = moment
            elif moment - quiet_since >= settings.wallboard_heartbeat_s:
                quiet_since = moment
                yield HEARTBEAT
            if once or moment - opened >= settings.wallboard_stream_s:
                return
            await asyncio.sleep(settings.wallboard_poll_s)
            if streams.closing or await request.is_disconnected():
                return
    finally:
        # Also on cancellation: the server cancels the stream when its client goes away.
        streams.count -= 1


@router.post("/alerts/{alert_id}/ack")
def acknowledge(
    request: Request, alert_id: DbId, me: Annotated[Principal, Depends(LEADS)], session: DB
) -> Response:
    """A lead has seen the alert (已阅): stamped on it and in the audit log, once."""
    done = acknowledge_alert(session, me, me.username, alert_id, now(request))
    if done is None:
        raise HTTPException(404, _("没有这条提醒，或不在您的班组"))
    if request.headers.get("x-csrf-token") is not None:
        return Response(status_code=204)  # the board's script: the stream shows the change
    return RedirectResponse("/team/live", status_code=303)


@router.post("/calls/{attempt_id}/listen")
def listen_in(
    request: Request,
    attempt_id: DbId,
    mode: Annotated[SpyMode, Form()],
    me: Annotated[Principal, Depends(LEADS)],
    session: DB,
) -> Response:
    """Ring the lead's own phone into the call: listen (监听), whisper to the agent (密语) or
    barge in (强插). Audit-logged in the same transaction, which a failed Originate undoes."""
    call = call_for_lead(session, me, attempt_id)
    if call is None:
        raise HTTPException(404, _("没有这通电话，或不在您的班组"))
    if call.ended:
        raise HTTPException(409, _("通话已结束"))
    if not call.answered:
        raise HTTPException(409, _("尚未接通，还不能监听"))
    endpoint = own_endpoint(session, me.user_id)
    if endpoint is None:
        message = _("您还没有登记自己的话机，管理员可用 `%(command)s` 设置")
        raise HTTPException(
            409, message % {"command": f"callwarden user phone {me.username} PJSIP/…"}
        )
    record_listen_in(session, me.username, call, mode.value, endpoint)
    session.flush()  # the audit row is written before the phone rings
    placer: ListenIn = request.app.state.listen_in
    try:
        placer.place(spy_request(endpoint, attempt_id, mode, f"listen-{attempt_id}"))
    except AmiUnavailable as exc:
        log.warning("listen-in on attempt %s not placed: %s", attempt_id, exc)
        raise HTTPException(503, _("电话系统不可用，未能呼叫您的话机：请稍后重试")) from exc
    if request.headers.get("x-csrf-token") is not None:
        return Response(status_code=204)  # the board's script: the phone rings
    return RedirectResponse("/team/live", status_code=303)


@router.post("/agents/{agent_id}/resume")
def resume_agent(
    request: Request, agent_id: DbId, me: Annotated[Principal, Depends(LEADS)], session: DB
) -> Response:
    """End a pause for one of the lead's agents (one who went to lunch and forgot to come
    back): audit-logged as the lead's act; a second click writes nothing."""
    agent = session.scalar(
        select(Agent).where(Agent.id == agent_id, Agent.id.in_(visible_agent_ids(me)))
    )
    if agent is None:
        raise HTTPException(404, _("没有这位坐席，或不在您的班组"))
    resume(session, agent, me.username, now(request))
    if request.headers.get("x-csrf-token") is not None:
        return Response(status_code=204)  # the board's script: the stream shows the change
    return RedirectResponse("/team/live", status_code=303)
