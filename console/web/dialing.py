"""Preview dialling from the agent's page, through the dialer.

The console does not talk to Asterisk itself: it hands one number to a
:class:`PreviewDialer`. The dialer reserves the attempt (so the caps and the
window are checked atomically, as for any call), originates it and gates it on
answer. ``SandboxPreviewDialer`` dials through the running embedded Asterisk;
tests that are not about the telephony use a fake.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from console.app import App, Pace
from dialer.campaign import DialItem
from dialer.sandbox.campaigns import Staffing

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DialRequest:
    agent_id: int
    sip_endpoint: str
    item: DialItem
    at: datetime
    """The instant the policy judges the call at (now, or the demo's simulated clock)."""


class PreviewDialer(Protocol):
    def unavailable(self) -> str | None:
        """Why no call can be placed now (no PBX running, …), or None when it can."""

    def dial(self, request: DialRequest) -> None:
        """Start the call and return at once; the attempt row tells how it went."""


class NoDialer:
    """For a console started without a PBX (the demo's): the page says so instead of
    dialling, and which console does dial (this one never will, whatever runs beside it)."""

    def unavailable(self) -> str | None:
        return (
            "本控制台不外呼：演示的通话已在启动前拨完，请为每通电话写催记；"
            "要从本页拨打，请在 `callwarden sandbox up` 之后用 `callwarden web serve` 启动控制台"
            " · this console places no calls (the demo's were placed before it started: "
            "write their notes); to dial from this page, serve the console with "
            "`callwarden web serve` while `callwarden sandbox up` runs"
        )

    def dial(self, request: DialRequest) -> None:
        raise RuntimeError(self.unavailable())


class SandboxPreviewDialer:
    """Dials through the embedded Asterisk that ``callwarden sandbox up`` started."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._busy = False

    def unavailable(self) -> str | None:
        if self._app.running_sandbox() is None:
            return "no Asterisk is running: start one with `callwarden sandbox up`"
        if self._busy:
            return "a call is being placed: wait for it to end"
        return None

    def dial(self, request: DialRequest) -> None:
        with self._lock:
            if self._busy:
                raise RuntimeError("a call is being placed: wait for it to end")
            self._busy = True
        threading.Thread(target=self._place, args=(request,), daemon=True).start()

    def _place(self, request: DialRequest) -> None:
        try:
            core = self._app.running_sandbox()
            if core is None:
                return
            staffing = Staffing(
                {request.agent_id: [request.item]}, {request.agent_id: request.sip_endpoint}
            )
            profile = self._app.profile()
            self._app.run_campaign(core, profile, staffing, request.at, Pace(run_for_s=120.0))
        except Exception:
            log.exception("preview dial for agent %s failed", request.agent_id)
        finally:
            with self._lock:
                self._busy = False
