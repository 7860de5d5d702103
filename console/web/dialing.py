"""Preview dialling from the agent's page, through the dialer.

The console does not talk to Asterisk itself: it hands one number to a
:class:`PreviewDialer`. The dialer reserves the attempt (so the caps and the
window are checked atomically, as for any call), originates it and gates it on
answer. ``SandboxPreviewDialer`` dials through an embedded Asterisk (the one
``callwarden sandbox up`` started, or the demo's own); tests that are not about the
telephony use a fake.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from console.app import App, Pace
from console.errors import DialerBusy
from console.i18n import _
from dialer.calls import DialItem
from dialer.sandbox import Sandbox
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

    def placing(self, agent_id: int) -> bool:
        """Whether a call this agent asked for is still being placed (it may have no attempt
        row yet: the agent's page waits for it)."""


class NoDialer:
    """For a console started without a PBX: the page says so instead of dialling, and which
    console does dial (this one never will, whatever runs beside it)."""

    def unavailable(self) -> str | None:
        return _(
            "本控制台不外呼；要从本页拨打，请在 `callwarden sandbox up` 之后用 "
            "`callwarden web serve` 启动控制台（或运行 `callwarden demo`）"
        )

    def dial(self, request: DialRequest) -> None:
        raise RuntimeError(self.unavailable())

    def placing(self, agent_id: int) -> bool:
        return False


class SandboxPreviewDialer:
    """Dials through an embedded Asterisk: by default the one ``callwarden sandbox up``
    started; ``core`` names another (the demo's). Recordings go to the workers' queue unless
    ``on_recording`` takes them (the demo transcribes in its own process)."""

    def __init__(
        self,
        app: App,
        core: Callable[[], Sandbox | None] | None = None,
        on_recording: Callable[[int, Path], None] | None = None,
    ) -> None:
        self._app = app
        self._core = core or app.running_sandbox
        self._on_recording = on_recording
        self._lock = threading.Lock()
        self._busy = False
        self._placing_for: int | None = None
        self._thread: threading.Thread | None = None

    def unavailable(self) -> str | None:
        if self._core() is None:
            return _("没有运行中的 Asterisk：请先 `callwarden sandbox up`")
        if self._busy:
            return _("正在拨打一通电话，请等它结束")
        return None

    def dial(self, request: DialRequest) -> None:
        with self._lock:
            if self._busy:  # another agent's dial got the line after this one was checked
                raise DialerBusy(_("正在拨打一通电话，请等它结束"))
            self._busy = True
            self._placing_for = request.agent_id
            self._thread = threading.Thread(target=self._place, args=(request,), daemon=True)
        self._thread.start()

    def placing(self, agent_id: int) -> bool:
        return self._busy and self._placing_for == agent_id

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the call being placed to end; True when none is."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def _place(self, request: DialRequest) -> None:
        try:
            core = self._core()
            if core is None:
                return
            staffing = Staffing(
                {request.agent_id: [request.item]}, {request.agent_id: request.sip_endpoint}
            )
            profile = self._app.profile()
            pace = Pace(run_for_s=120.0)
            self._app.run_campaign(core, profile, staffing, request.at, pace, self._on_recording)
        except Exception:
            log.exception("preview dial for agent %s failed", request.agent_id)
        finally:
            with self._lock:
                self._busy = False
                self._placing_for = None
