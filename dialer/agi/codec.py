"""The FastAGI wire format, as pure functions (no sockets).

Asterisk opens the connection and sends its environment, ``agi_key: value``
lines (a value may be empty: ``agi_arg_2: ``) ended by a blank line. Then the
script sends one command per line and reads one reply per command:
``200 result=1``, ``200 result=0 (timeout)``, ``200 result=1 (some value)``,
``510 Invalid or unknown command``, ``511 Command Not Permitted on a dead
channel``, or a multi-line ``520-…`` usage text ended by ``520 End of proper
usage.``. A ``HANGUP`` line may arrive at any time when the caller hangs up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ENV_LINE = re.compile(r"^(agi_[a-z0-9_]+):(?: (.*))?$")
_REPLY = re.compile(r"^(\d{3}) result=(-?\d+)(?: \((.*)\))?(?: endpos=-?\d+)?\s*$")
_ARG = re.compile(r"^agi_arg_(\d+)$")
MAX_ENV_LINES = 200
"""More environment than this is not Asterisk talking."""


class AgiProtocolError(ValueError):
    """Input that is not FastAGI; the session it came on is closed."""


@dataclass(frozen=True)
class AgiRequest:
    env: dict[str, str]

    @property
    def script(self) -> str:
        """The path after the host in ``agi://host:port/script`` (without the slash)."""
        return self.env.get("agi_network_script", "").lstrip("/")

    @property
    def args(self) -> tuple[str, ...]:
        numbered = sorted(
            (int(m.group(1)), value)
            for key, value in self.env.items()
            if (m := _ARG.match(key)) is not None
        )
        return tuple(value for _, value in numbered)

    @property
    def channel(self) -> str:
        return self.env.get("agi_channel", "")


@dataclass(frozen=True)
class AgiReply:
    code: int
    result: int | None
    data: str | None
    """What followed the result in parentheses, e.g. a variable's value."""
    text: str
    """The whole reply as received (all lines of a 520 usage text)."""

    @property
    def ok(self) -> bool:
        return self.code == 200


def parse_environment_line(line: str) -> tuple[str, str] | None:
    """One ``agi_key: value`` pair, or None for the blank line that ends the block."""
    if line == "":
        return None
    match = _ENV_LINE.match(line)
    if match is None:
        raise AgiProtocolError(f"not an AGI environment line: {line[:80]!r}")
    return match.group(1), match.group(2) or ""


def parse_environment(lines: list[str]) -> AgiRequest:
    env: dict[str, str] = {}
    for line in lines:
        pair = parse_environment_line(line)
        if pair is None:
            break
        env[pair[0]] = pair[1]
    else:
        raise AgiProtocolError("the AGI environment did not end with a blank line")
    if "agi_channel" not in env:
        raise AgiProtocolError("the AGI environment has no agi_channel")
    return AgiRequest(env)


def parse_reply(lines: list[str]) -> AgiReply:
    """A reply from its lines (one, or several for a 520 usage text)."""
    if not lines:
        raise AgiProtocolError("empty reply")
    first = lines[0]
    if first.startswith("520-"):
        if not lines[-1].startswith("520 "):
            raise AgiProtocolError("a 520 usage text without its last line")
        return AgiReply(520, None, None, "\n".join(lines))
    match = _REPLY.match(first)
    if match is not None:
        result = int(match.group(2))
        return AgiReply(int(match.group(1)), result, match.group(3), first)
    code = first[:3]
    if code.isdigit() and (len(first) == 3 or first[3] == " "):
        return AgiReply(int(code), None, None, first)
    raise AgiProtocolError(f"not an AGI reply: {first[:80]!r}")


def reply_is_complete(lines: list[str]) -> bool:
    """Whether the lines read so far make a whole reply."""
    return bool(lines) and (not lines[0].startswith("520-") or lines[-1].startswith("520 "))


def format_command(verb: str, *args: str | int) -> str:
    """A command line; arguments quoted so spaces and quotes survive."""
    if not re.fullmatch(r"[A-Z][A-Z ]*[A-Z]", verb):
        raise ValueError(f"not an AGI command verb: {verb!r}")
    quoted = [_quote(str(arg)) for arg in args]
    return " ".join([verb, *quoted]) + "\n"


def _quote(arg: str) -> str:
    if "\n" in arg or "\r" in arg:
        raise ValueError("an AGI argument cannot hold a line break")
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
