"""Listening in on a call (监听 · 密语 · 强插) as AMI Originate requests. Pure: no I/O.

A supervisor's own phone is called (an Originate of their SIP endpoint); when it answers,
the dialplan's ``callwarden-spy`` context runs Asterisk's ChanSpy on the agent's leg of the
call. The agent's leg carries the call's spy group (``SPYGROUP``, set by
``callwarden-agent-leg``), so ChanSpy's ``g(group)`` finds that one channel and no other, and
the console never needs Asterisk's channel names. The ChanSpy options (Asterisk 22's
``core show application ChanSpy``):

- ``q``: no beep and no channel name spoken when spying starts (the parties must not notice);
- ``w``: whisper: the spy's audio goes to the spied-on channel (the agent) only;
- ``B``: barge: the spy's audio goes to both channels of the bridge (agent and callee);
- ``E``: exit when the spied-on channel hangs up; ``S``: exit when no channel matches (the
  call ended before the supervisor's phone answered), so no phone is left in ChanSpy.

A whisper prompt (a recorded compliance reminder played only to the agent) is the same
whisper with a Local channel in place of a phone: one half runs ChanSpy, the other plays the
recording and hangs up, which ends both.
"""

from __future__ import annotations

import re
from enum import StrEnum

from dialer.ami import OriginateRequest


class SpyMode(StrEnum):
    LISTEN = "listen"
    """监听: the supervisor hears both parties; nobody hears the supervisor."""
    WHISPER = "whisper"
    """密语: the supervisor hears both; only the agent hears the supervisor."""
    BARGE = "barge"
    """强插: the supervisor hears both, and both hear the supervisor."""


CHANSPY_OPTIONS = {SpyMode.LISTEN: "q", SpyMode.WHISPER: "qw", SpyMode.BARGE: "qB"}
SPY_CONTEXT = "callwarden-spy"
PROMPT_CONTEXT = "callwarden-prompt"
SPY_RING_MS = 30_000
"""How long the supervisor's phone rings before the Originate gives up."""

_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9]*/[A-Za-z0-9_.+@:-]{1,90}$")
_SOUND = re.compile(r"^[A-Za-z0-9_./-]{1,200}$")


class BadEndpoint(ValueError):
    """A SIP endpoint that is not a dial string Asterisk could be handed safely."""


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` if it is a plain dial string (``PJSIP/1001``, ``PJSIP/s01@simnet``);
    anything else (commas, spaces, ``&``: a second channel or an argument) is refused."""
    if not _ENDPOINT.match(endpoint):
        raise BadEndpoint(
            f"SIP endpoint {endpoint!r}: use TECH/RESOURCE, e.g. PJSIP/1001 or PJSIP/s01@trunk"
        )
    return endpoint


def spy_group(attempt_id: int) -> str:
    """The ``SPYGROUP`` the dialplan gives the agent's leg of call attempt ``attempt_id``."""
    return f"cwcall{attempt_id}"


def spy_request(
    endpoint: str, attempt_id: int, mode: SpyMode, action_id: str = ""
) -> OriginateRequest:
    """Ring ``endpoint`` (the supervisor's phone) and, on answer, spy on the call in ``mode``."""
    return OriginateRequest(
        channel=check_endpoint(endpoint),
        context=SPY_CONTEXT,
        timeout_ms=SPY_RING_MS,
        caller_id=f'"{mode.value} {attempt_id}" <{attempt_id}>',
        variables={
            "CW_SPY_GROUP": spy_group(attempt_id),
            "CW_SPY_OPTIONS": CHANSPY_OPTIONS[mode],
        },
        action_id=action_id,
    )


def prompt_request(attempt_id: int, sound: str, action_id: str = "") -> OriginateRequest:
    """Play ``sound`` (a file Asterisk's Playback finds, without its extension) to the agent
    of call attempt ``attempt_id`` only, as a whisper from a Local channel."""
    if not _SOUND.match(sound) or ".." in sound:
        raise ValueError(f"prompt sound {sound!r}: a plain file name without spaces or '..'")
    return OriginateRequest(
        channel=f"Local/prompt@{PROMPT_CONTEXT}",
        context=SPY_CONTEXT,
        timeout_ms=5_000,
        variables={
            "CW_SPY_GROUP": spy_group(attempt_id),
            "CW_SPY_OPTIONS": CHANSPY_OPTIONS[SpyMode.WHISPER],
            "__CW_PROMPT": sound,  # inherited by the Local channel's other half, which plays it
        },
        action_id=action_id,
    )
