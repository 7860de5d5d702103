"""The Asterisk Manager Interface behind a small interface, with pyst2 as the transport.

pyst2 has Python-2 leftovers (deprecated threading calls, a mutable default in
``send_action``) and raises its own exception tree; this adapter keeps all of
that inside and speaks ``AmiUnavailable`` and plain dataclasses outward.
"""

from __future__ import annotations

import socket
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from asterisk.manager import Manager, ManagerException

from dialer.errors import AmiUnavailable


@dataclass(frozen=True)
class AmiEvent:
    name: str
    headers: dict[str, str]


@dataclass(frozen=True)
class OriginateRequest:
    channel: str
    """Who to call first, e.g. ``PJSIP/+8613800000000@simnet``."""
    context: str
    exten: str = "s"
    priority: int = 1
    timeout_ms: int = 30_000
    caller_id: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    action_id: str = ""
    """Comes back on OriginateResponse, so the response finds its attempt."""
    channel_id: str = ""
    """The first channel's Uniqueid: its Hangup event (with the cause) names it."""


def originate_action(request: OriginateRequest) -> dict[str, Any]:
    """The Originate action's headers, as pyst2 puts them on the wire (``Variable`` repeats)."""
    action: dict[str, Any] = {
        "Action": "Originate",
        "Channel": request.channel,
        "Context": request.context,
        "Exten": request.exten,
        "Priority": str(request.priority),
        "Timeout": str(request.timeout_ms),
        "Async": "true",
        "Variable": [f"{k}={v}" for k, v in request.variables.items()],
    }
    if request.caller_id:
        action["CallerID"] = request.caller_id
    if request.action_id:
        action["ActionID"] = request.action_id
    if request.channel_id:
        action["ChannelId"] = request.channel_id
    return action


class AmiLink(Protocol):
    """What the campaign needs of an AMI connection (``PystAmi``; ``dialer.testing.FakeLink``)."""

    def originate(self, request: OriginateRequest) -> None: ...
    def on_event(self, handler: Callable[[AmiEvent], None]) -> None: ...
    def close(self) -> None: ...
    @property
    def connected(self) -> bool: ...


class _Flag(threading.Event):
    def isSet(self) -> bool:
        return self.is_set()


class _Manager(Manager):  # type: ignore[misc]
    """pyst2's Manager without its deprecated calls in our threads and at garbage collection."""

    def __init__(self) -> None:
        with _quiet():
            super().__init__()
        self._running = _Flag()
        self._connected = _Flag()

    def __del__(self) -> None:
        """We close explicitly; pyst2's own __del__ would close again, noisily."""


class PystAmi:
    """One logged-in AMI connection (pyst2)."""

    def __init__(self, host: str, port: int, user: str, secret: str) -> None:
        try:
            # pyst2 leaks its socket when the connect is refused (a restarting Asterisk):
            # find out with a socket of our own, closed whatever happens.
            socket.create_connection((host, port), timeout=5).close()
        except OSError as exc:
            raise AmiUnavailable(f"AMI {host}:{port}: {exc.strerror or exc}") from exc
        self._manager = _Manager()
        try:
            with _quiet():
                self._manager.connect(host, port)
                self._manager.login(user, secret)
        except (ManagerException, OSError) as exc:
            self.close()
            raise AmiUnavailable(f"AMI {host}:{port}: {exc}") from exc

    @property
    def connected(self) -> bool:
        with _quiet():
            return bool(self._manager.connected())

    def originate(self, request: OriginateRequest) -> None:
        try:
            with _quiet():
                response = self._manager.send_action(originate_action(request))
        except (ManagerException, OSError, ValueError) as exc:
            raise AmiUnavailable(f"originate failed: {exc}") from exc
        if response.get_header("Response") != "Success":
            raise AmiUnavailable(f"originate refused: {response.get_header('Message')}")

    def on_event(self, handler: Callable[[AmiEvent], None]) -> None:
        def relay(event: Any, manager: Any) -> None:
            del manager
            handler(AmiEvent(event.name, dict(event.headers)))

        self._manager.register_event("*", relay)

    def close(self) -> None:
        try:
            with _quiet():
                self._manager.close()
        except (ManagerException, OSError, ValueError):
            pass  # the link is already gone: nothing left to close


@contextmanager
def _quiet() -> Iterator[None]:
    """pyst2 calls threading's deprecated camelCase names; that is its business, not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield
