"""What AMI says about a call, as attempt outcomes (pure: events in, outcome out).

``OriginateResponse`` carries a ``Reason`` (Asterisk's ``AST_CONTROL_*`` code)
when the first leg never got answered; a ``Hangup`` carries the Q.850
``Cause``. Both map onto the attempt's status; the cause is kept as text.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.enums import AttemptStatus

# OriginateResponse Reason codes (include/asterisk/frame.h, AST_CONTROL_*)
_REASONS: dict[str, AttemptStatus] = {
    "0": AttemptStatus.FAILED,  # no such channel / could not dial
    "1": AttemptStatus.NO_ANSWER,  # hung up before answering
    "3": AttemptStatus.NO_ANSWER,  # rang until the originate timeout
    "4": AttemptStatus.ANSWERED,
    "5": AttemptStatus.BUSY,
    "8": AttemptStatus.FAILED,  # congestion: unreachable, no route
}
# Q.850 causes of a Hangup before answer
_CAUSES: dict[str, AttemptStatus] = {
    "1": AttemptStatus.FAILED,  # unallocated number
    "17": AttemptStatus.BUSY,
    "18": AttemptStatus.NO_ANSWER,  # no user responding
    "19": AttemptStatus.NO_ANSWER,  # no answer
    "21": AttemptStatus.NO_ANSWER,  # call rejected
    "27": AttemptStatus.FAILED,  # destination out of order
    "34": AttemptStatus.FAILED,  # no circuit
    "38": AttemptStatus.FAILED,  # network out of order
}


# Q.850 causes that say the number itself is gone: unallocated (空号), number changed
NUMBER_GONE = frozenset({"1", "22"})


@dataclass(frozen=True)
class CallEnd:
    status: AttemptStatus
    cause: str
    """Human-readable: 'busy (reason 5)', 'normal clearing (cause 16)'."""
    number_gone: bool = False
    """The network said the number does not exist (any more): it is marked unreachable."""


def from_originate_response(headers: dict[str, str]) -> CallEnd:
    """The outcome an OriginateResponse reports."""
    if headers.get("Response") == "Success":
        return CallEnd(AttemptStatus.ANSWERED, "answered")
    reason = headers.get("Reason", "")
    status = _REASONS.get(reason, AttemptStatus.FAILED)
    return CallEnd(status, f"{status.value.replace('_', ' ')} (reason {reason or '?'})")


def from_hangup(headers: dict[str, str], answered: bool) -> CallEnd:
    """The outcome a Hangup reports; after an answer every hangup ends an answered call."""
    cause = headers.get("Cause", "")
    text = headers.get("Cause-txt", "") or "unknown"
    if answered:
        return CallEnd(AttemptStatus.ANSWERED, f"{text.lower()} (cause {cause})")
    status = _CAUSES.get(cause, AttemptStatus.NO_ANSWER if cause == "16" else AttemptStatus.FAILED)
    return CallEnd(status, f"{text.lower()} (cause {cause or '?'})", cause in NUMBER_GONE)


def attempt_outcome(response: dict[str, str], hangup: dict[str, str] | None) -> CallEnd:
    """The outcome of one originated attempt from its OriginateResponse and its Hangup.

    Asterisk's OriginateResponse says ``Reason: 0`` both for a busy callee and
    for an unreachable one; the Hangup of the channel (found by the ChannelId
    we gave it) carries the Q.850 cause that tells them apart.
    """
    first = from_originate_response(response)
    if first.status != AttemptStatus.FAILED or hangup is None:
        return first
    return from_hangup(hangup, answered=False)


HANGUP_WAIT_S = 3.0
"""How long a failed originate waits for the Hangup that says why (busy vs unreachable)."""


def ending(
    answered: bool,
    response: dict[str, str] | None,
    hangup: dict[str, str] | None,
    since_response_s: float,
) -> CallEnd | None:
    """An attempt's outcome from what AMI said so far, or None while it is not known yet.

    ``answered``: the gate bridged it to an agent. ``since_response_s``: seconds since
    the OriginateResponse arrived.
    """
    if answered:
        return None if hangup is None else from_hangup(hangup, answered=True)
    if response is None:
        return None
    if response.get("Response") == "Success":  # answered, but the gate did not bridge it
        return None if hangup is None else CallEnd(AttemptStatus.BLOCKED, "blocked on answer")
    if hangup is None and since_response_s < HANGUP_WAIT_S:
        return None
    return attempt_outcome(response, hangup)
