"""Listening in (the wallboard) and whisper prompts (``callwarden live``): one Originate each.

The requests are :mod:`dialer.spy`'s (the lead's phone, or a Local channel playing a
recording, into ChanSpy on the agent's leg); this module only opens an AMI link
(:class:`dialer.ami.AmiLink`), sends one and closes the link. ``connect`` is the seam: the
console connects to the running embedded Asterisk; tests hand it a link that records what it
was asked (``dialer.testing.RecordingLink``).
"""

from __future__ import annotations

from collections.abc import Callable

from console.app import App
from dialer.ami import AmiLink, OriginateRequest, PystAmi
from dialer.errors import AmiUnavailable
from dialer.spy import prompt_request


class ListenIn:
    """Places listen-in calls through one short AMI login each."""

    def __init__(self, connect: Callable[[], AmiLink]) -> None:
        self._connect = connect

    def place(self, request: OriginateRequest) -> None:
        """Send the Originate; raises ``AmiUnavailable`` when Asterisk cannot be reached or
        refuses it (nothing was placed then)."""
        link = self._connect()
        try:
            link.originate(request)
        finally:
            link.close()


def sandbox_link(app: App) -> Callable[[], AmiLink]:
    """AMI links to the embedded Asterisk that ``callwarden sandbox up`` started."""

    def connect() -> AmiLink:
        core = app.running_sandbox()
        if core is None:
            raise AmiUnavailable("no Asterisk is running: start one with `callwarden sandbox up`")
        return PystAmi("127.0.0.1", core.ami_port, core.ami_user, core.ami_secret)

    return connect


def prompter(placer: ListenIn, sound: str) -> Callable[[int], str | None]:
    """``callwarden live``'s whisper prompt: play ``sound`` to call attempt N's agent only;
    None when it was placed, else why not."""

    def prompt(attempt_id: int) -> str | None:
        try:
            placer.place(prompt_request(attempt_id, sound, f"prompt-{attempt_id}"))
        except AmiUnavailable as exc:
            return str(exc)
        return None

    return prompt
