"""A customer calling back: the campaign's FastAGI handler for ``callwarden-inbound``.

The call is logged as inbound (never counted toward any cap) and bridged to an idle agent of
the campaign who is not paused (暂停: away from the phone, read at the moment the call comes
in); with none, or the caller on the line already, the dialplan says goodbye.
Not pure: it writes the attempt row and claims the agent in the campaign it serves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Protocol

from dialer.agi import AgiSession, Handler
from dialer.calls import CallState, DialItem
from store.agent_pause import paused_now
from store.attempts import log_inbound
from store.db import SessionFactory


class Desk(Protocol):
    """What the handler needs of the campaign it serves (``dialer.campaign.Campaign``)."""

    @property
    def sessions(self) -> SessionFactory: ...
    @property
    def agent_dial(self) -> dict[int, str]: ...
    @property
    def busy(self) -> set[int]: ...
    @property
    def agents_lock(self) -> AbstractContextManager[bool]: ...
    @property
    def inbound_calls(self) -> dict[str, CallState]: ...
    @property
    def clock(self) -> Callable[[], datetime]: ...
    @property
    def recordings_inside(self) -> str: ...
    def took_inbound(self) -> None: ...


def inbound_handler(campaign: Desk) -> Handler:
    """The handler, over ``campaign``'s agents and the calls it follows."""

    async def handle(session: AgiSession) -> None:
        caller = session.request.env.get("agi_callerid", "")
        away = await asyncio.to_thread(paused_now, campaign.sessions)  # now, not a second ago
        with campaign.agents_lock:
            free = (a for a in campaign.agent_dial if a not in campaign.busy and a not in away)
            agent = next(free, None)
            if agent is not None:
                campaign.busy.add(agent)
        if agent is None:
            await session.set_variable("CW_AGENT", "")  # the dialplan says goodbye
            return
        attempt = await asyncio.to_thread(
            log_inbound, campaign.sessions, caller, agent, campaign.clock()
        )
        if attempt is None:
            with campaign.agents_lock:
                campaign.busy.discard(agent)
            await session.set_variable("CW_AGENT", "")
            return
        uniqueid = session.request.env.get("agi_uniqueid", "")
        call = CallState(attempt, agent, DialItem(0, 0, caller), answered=True)
        campaign.inbound_calls[uniqueid] = call
        campaign.took_inbound()
        rec = f"{campaign.recordings_inside}/attempt-{attempt}"
        await session.set_variable("CW_REC", rec)
        await session.set_variable("CW_AGENT", campaign.agent_dial[agent])

    return handle
