"""A fake Asterisk at the AMI seam, for fast campaign tests: no sockets, no threads, no sleeping.

In the spirit of httpx's ``MockTransport`` and panoramisk's recorded streams:

- ``VirtualTime`` is the campaign's ``Timer``. Sleeping moves its clock and runs what falls
  due meanwhile, so a campaign of minutes runs in milliseconds, the same way on every run.
- ``Transcript`` is an AMI event stream recorded from a real Asterisk (AMI wire format,
  ``# +S.SSS`` offsets in comments; ``tests/record_ami.py`` records them), re-addressed to a
  new call's ids (ActionID, ChannelId, attempt, number) when it is replayed.
- ``FakeAsterisk`` is what the campaign connects to. A handler answers each Originate with a
  transcript (or a refusal); the events are delivered at their recorded offsets. Where the
  recording shows a FastAGI script ran (the pseudo-event ``X-AGI``), the campaign's own
  handler runs, in process, over a ``FakeChannel``, and must decide as it did in the
  recording, since what follows in the stream depends on it. ``crash`` / ``restart`` make
  Asterisk go away and come back; ``drop_link`` cuts one AMI connection only.

Not pure: ``FakeAsterisk`` writes small silent recording files when given a folder
(MixMonitor's part), and ``Transcript.read`` reads a file.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import re
import wave
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from dialer.agi import AgiRequest, AgiSession, Handler, parse_reply
from dialer.ami import AmiEvent, OriginateRequest, originate_action
from dialer.errors import AmiUnavailable

AGI_STEP = "X-AGI"
"""The pseudo-event marking where a FastAGI script ran (AMI shows it only to ``agi`` readers)."""


class SimulationOverrun(AssertionError):
    """Virtual time ran past its limit: the code under test would have run forever."""


class TranscriptMismatch(AssertionError):
    """The code decided otherwise than the recording, so the rest of the stream cannot follow."""


# ── time ────────────────────────────────────────────────────────────────────
class VirtualTime:
    """A monotonic clock that only moves when slept on (``dialer.campaign.Timer``)."""

    def __init__(self, limit_s: float = 3600.0) -> None:
        self.now = 0.0
        self.limit_s = limit_s
        self.sleeps: list[float] = []
        """Every sleep asked for, in order (a loop that never sleeps shows as none)."""
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.now + max(seconds, 0.0)
        while self._due and self._due[0][0] <= target:
            when, _, action = heapq.heappop(self._due)
            self.now = max(self.now, when)
            action()
        self.now = target
        if self.now > self.limit_s:
            raise SimulationOverrun(f"still running after {self.limit_s:.0f} virtual seconds")

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Run ``action`` once the clock reaches ``when`` (in the order scheduled, on a tie)."""
        heapq.heappush(self._due, (when, next(self._order), action))

    def after(self, delay: float, action: Callable[[], None]) -> None:
        self.at(self.now + delay, action)


# ── recorded streams ────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Step:
    at_s: float
    """Seconds after the stream began (the Originate, or the inbound call's first event)."""
    event: AmiEvent


@dataclass(frozen=True)
class Transcript:
    name: str
    meta: dict[str, str]
    """``# key: value`` lines before the first event: what was recorded, and its ids."""
    steps: tuple[Step, ...]

    @classmethod
    def read(cls, path: Path) -> Transcript:
        return cls.parse(path.read_text(encoding="utf-8"), path.stem)

    @classmethod
    def parse(cls, text: str, name: str = "") -> Transcript:
        meta: dict[str, str] = {}
        steps: list[Step] = []
        at_s, headers = 0.0, dict[str, str]()
        for raw in [*text.splitlines(), ""]:
            line = raw.rstrip("\r")
            if line.startswith("# +"):
                at_s = float(line[3:].split()[0])
            elif line.startswith("#"):
                key, sep, value = line[1:].partition(":")
                if sep and not steps and not headers:
                    meta[key.strip()] = value.strip()
            elif line:
                key, _, value = line.partition(":")
                headers[key] = value.removeprefix(" ")  # "AccountCode: " is an empty value
            elif headers:
                steps.append(Step(at_s, AmiEvent(headers.get("Event", ""), headers)))
                headers = {}
        return cls(name, meta, tuple(steps))

    def format(self) -> str:
        out = [f"# {key}: {value}\n" for key, value in self.meta.items()]
        for step in self.steps:
            out.append(f"\n# +{step.at_s:.3f}\n")
            out += [f"{key}: {value}\n" for key, value in step.event.headers.items()]
        return "".join(out)

    def readdressed(self, new: Mapping[str, str]) -> Transcript:
        """The same stream about another call: each recorded id in ``meta`` named in ``new``
        (``channel_id``, ``action_id``, ``attempt``, ``e164``, ``uniqueid``) is replaced."""
        swaps: dict[str, str] = {}
        for key, value in new.items():
            old = self.meta.get(key)
            if old and value and old != value:
                swaps[f"attempt-{old}" if key == "attempt" else old] = (
                    f"attempt-{value}" if key == "attempt" else value
                )
        if not swaps:
            return self
        pattern = re.compile(
            r"(?<![\w.-])("
            + "|".join(map(re.escape, sorted(swaps, key=len, reverse=True)))
            + r")(?![\w.])"
        )

        def swap(text: str) -> str:
            return pattern.sub(lambda m: swaps[m.group(1)], text)

        steps = tuple(
            Step(s.at_s, AmiEvent(s.event.name, {k: swap(v) for k, v in s.event.headers.items()}))
            for s in self.steps
        )
        meta = {k: swap(v) for k, v in self.meta.items()}
        return replace(self, meta=meta, steps=steps)


# ── FastAGI in process ──────────────────────────────────────────────────────
class FakeChannel(AgiSession):
    """One channel's FastAGI session, answered in process like a live channel would."""

    def __init__(self, env: Mapping[str, str], variables: Mapping[str, str]) -> None:
        super().__init__(
            AgiRequest(dict(env)),
            cast(asyncio.StreamReader, None),  # never read: ``command`` is answered here
            cast(asyncio.StreamWriter, None),
        )
        self.variables = dict(variables)
        self.commands: list[tuple[str, tuple[str, ...]]] = []

    async def command(self, verb: str, *args: str | int) -> Any:
        self.commands.append((verb, tuple(map(str, args))))
        if verb == "GET VARIABLE":
            value = self.variables.get(str(args[0]))
            return parse_reply(["200 result=0" if value is None else f"200 result=1 ({value})"])
        if verb == "SET VARIABLE":
            self.variables[str(args[0])] = str(args[1])
            return parse_reply(["200 result=1"])
        return parse_reply(["510 Invalid or unknown command"])


# ── the fake server ─────────────────────────────────────────────────────────
@dataclass(frozen=True)
class Refused:
    """Asterisk's ``Response: Error`` to an Originate (no channel is created)."""

    message: str = "Originate failed"


Reply = Transcript | Refused
OriginateHandler = Callable[[OriginateRequest], Reply]


@dataclass
class _Call:
    """One replay in progress: the channel variables its dialplan would hold."""

    variables: dict[str, str]
    generation: int


class FakeLink:
    """One AMI login to a ``FakeAsterisk`` (``dialer.ami.AmiLink``)."""

    def __init__(self, asterisk: FakeAsterisk) -> None:
        self._asterisk = asterisk
        self._up = True
        self.handlers: list[Callable[[AmiEvent], None]] = []

    @property
    def connected(self) -> bool:
        return self._up

    def originate(self, request: OriginateRequest) -> None:
        if not self._up:  # what pyst2 says about a closed socket, in our words
            raise AmiUnavailable("originate failed: not connected")
        self._asterisk.originated(request)

    def on_event(self, handler: Callable[[AmiEvent], None]) -> None:
        self.handlers.append(handler)

    def close(self) -> None:
        self._up = False

    def deliver(self, event: AmiEvent) -> None:
        if self._up:
            for handler in self.handlers:
                handler(event)


@dataclass
class FakeAsterisk:
    """A scripted Asterisk: its ``connect`` is the campaign's AMI factory."""

    time: VirtualTime
    handler: OriginateHandler
    recordings: Path | None = None
    """Where MixMonitor's files go (as the campaign sees the folder); None writes nothing."""
    agi: dict[str, Handler] = field(default_factory=dict)
    """FastAGI scripts by name, as the dialplan calls them (``gate``, ``inbound``)."""
    up: bool = True
    link: FakeLink | None = None
    connects: list[tuple[float, bool]] = field(default_factory=list)
    """Each login tried: when (virtual seconds) and whether it was let in."""
    actions: list[dict[str, Any]] = field(default_factory=list)
    """Each action as it went on the wire, with its ActionID."""
    responses: list[dict[str, str]] = field(default_factory=list)
    channels: list[FakeChannel] = field(default_factory=list)
    """Every FastAGI session run, in order."""
    _generation: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def connect(self) -> FakeLink:
        self.connects.append((self.time.now, self.up))
        if not self.up:
            raise AmiUnavailable("AMI 127.0.0.1:5038: Connection refused")
        self.link = FakeLink(self)
        return self.link

    def crash(self) -> None:
        """Asterisk dies: its AMI link drops, every call in flight with it; logins are refused."""
        self.up = False
        self._generation += 1
        self.drop_link()

    def restart(self) -> None:
        self.up = True

    def drop_link(self) -> None:
        """The AMI connection breaks; calls go on (their events reach the next login)."""
        if self.link is not None:
            self.link.close()

    def originated(self, request: OriginateRequest) -> None:
        action = originate_action(request)
        n = next(self._ids)
        action.setdefault("ActionID", f"fake-{n}")  # deterministic, like the campaign's own
        self.actions.append(action)
        reply = self.handler(request)
        if isinstance(reply, Refused):
            self.responses.append(
                {"Response": "Error", "ActionID": action["ActionID"], "Message": reply.message}
            )
            raise AmiUnavailable(f"originate refused: {reply.message}")
        self.responses.append(
            {
                "Response": "Success",
                "ActionID": action["ActionID"],
                "Message": "Originate successfully queued",
            }
        )
        new = {
            "action_id": action["ActionID"],
            "channel_id": request.channel_id or f"fake.{n}",
            "attempt": request.variables.get("CW_ATTEMPT", ""),
            "e164": request.variables.get("CW_NUMBER", ""),
        }
        self.play(reply.readdressed(new), dict(request.variables))

    def call_in(self, transcript: Transcript, caller: str, after_s: float = 0.0) -> None:
        """A customer dials the centre from ``caller``, as the transcript recorded it."""
        n = next(self._ids)
        stream = transcript.readdressed({"e164": caller, "uniqueid": f"fake.{n}"})
        self.time.after(after_s, lambda: self.play(stream, {}))

    def play(self, transcript: Transcript, variables: dict[str, str]) -> None:
        """Deliver the stream from now on, at its recorded offsets."""
        call = _Call(variables, self._generation)
        start = self.time.now
        for step in transcript.steps:
            self.time.at(start + step.at_s, functools.partial(self._step, transcript, call, step))

    def _step(self, transcript: Transcript, call: _Call, step: Step) -> None:
        if call.generation != self._generation:
            return  # that Asterisk is gone, and the call with it
        if step.event.name == AGI_STEP:
            self._run_agi(transcript, call, step.event.headers)
            return
        if step.event.name == "MixMonitorStart":
            self._record(call.variables.get("CW_REC", ""))
        if self.link is not None:
            self.link.deliver(step.event)

    def _run_agi(self, transcript: Transcript, call: _Call, headers: Mapping[str, str]) -> None:
        script = headers["Script"]
        env = {
            "agi_network_script": script,
            "agi_uniqueid": headers.get("Uniqueid", ""),
            "agi_callerid": headers.get("CallerIDNum", ""),
        }
        channel = FakeChannel(env, call.variables)
        self.channels.append(channel)
        script_run = self.agi[script]

        async def session() -> None:
            await script_run(channel)

        asyncio.run(session())
        call.variables.update(channel.variables)
        decided = _decision(script, channel.variables)
        recorded = headers.get("Decision", "")
        if recorded and decided != recorded:
            raise TranscriptMismatch(
                f"{transcript.name}: the recorded {script} script said {recorded!r}, "
                f"this one {decided!r}; the rest of the recording cannot follow"
            )

    def _record(self, rec_inside: str) -> None:
        if self.recordings is None or not rec_inside:
            return
        base = self.recordings / Path(rec_inside).name
        for direction in ("rx", "tx"):
            with wave.open(f"{base}-{direction}.wav", "wb") as wav:
                wav.setnchannels(1)
                wav.setsampwidth(2)
                wav.setframerate(8000)
                wav.writeframes(bytes(1600))


def _decision(script: str, variables: Mapping[str, str]) -> str:
    """What the script told the dialplan, in the words ``X-AGI``'s ``Decision`` records."""
    if script == "gate":
        return variables.get("CW_DECISION", "")
    return "agent" if variables.get("CW_AGENT") else "closed"


def by_number(replies: Mapping[str, Reply], default: Reply | None = None) -> OriginateHandler:
    """A handler answering each Originate by the number dialled (``CW_NUMBER``)."""

    def handler(request: OriginateRequest) -> Reply:
        reply = replies.get(request.variables.get("CW_NUMBER", ""), default)
        if reply is None:
            raise AssertionError(f"no transcript for {request.channel}")
        return reply

    return handler


class RecordingLink:
    """An AMI link that keeps every Originate it is asked for (``dialer.ami.AmiLink``); with
    ``down`` set it refuses them as an unreachable Asterisk would."""

    def __init__(self, down: str | None = None) -> None:
        self.requests: list[OriginateRequest] = []
        self.down = down
        self.closed = 0

    @property
    def connected(self) -> bool:
        return self.down is None

    def originate(self, request: OriginateRequest) -> None:
        if self.down is not None:
            raise AmiUnavailable(self.down)
        self.requests.append(request)

    def on_event(self, handler: Callable[[AmiEvent], None]) -> None:
        del handler  # nothing ever happens on this link

    def close(self) -> None:
        self.closed += 1
