"""The demo's telephony: its embedded Asterisk and simulated phones, up from its first call
until it stops, and the clock of its simulated day.

Every number in the demo's book answers as a callee of its kind would: a debtor's number
plays one of the labelled debtor calls, a relative's or colleague's one of the third-party
calls, and every sixth rings out, is busy or is unreachable. So the demo's own campaign and
an agent dialling from the demo's console both reach a phone that speaks. The instance is
named after the var dir (``instance_name("demo", …)``), so two checkouts, a running
``callwarden sandbox up`` and the tests' sandboxes never share one. Not pure: it starts and
stops Asterisk processes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from console.app import App
from dialer.book import NumberEntry
from dialer.sandbox import Sandbox, default_cache, ensure_root, instance_name, new_sandbox, start
from dialer.sandbox import stop as stop_sandbox
from dialer.sandbox.phones import Scenario, split_labelled_call, start_phones
from dialer.scheduler import Schedule

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "calls"
DEBTOR_CALLS = ("cw01", "cw07", "cw34", "cw11", "cw15", "cw02", "cw24", "cw04", "cw18", "cw21")
THIRD_PARTY_CALLS = ("cw27", "cw31", "cw30", "cw32", "cw28", "cw44")
UNANSWERED = ("busy", "no_answer", "unreachable")


@dataclass(frozen=True)
class DemoClock:
    """The demo's simulated day: ``at`` at the monotonic instant ``began``, then real seconds.
    The demo's calls, its console and every call an agent places from it read this one clock,
    so the policy judges them all on the same day and in the order they happened."""

    at: datetime
    began: float

    @classmethod
    def starting(cls, at: datetime) -> DemoClock:
        return cls(at, time.monotonic())

    def __call__(self) -> datetime:
        return self.at + timedelta(seconds=time.monotonic() - self.began)


class Callees:
    """Which labelled call (or busy / no_answer / unreachable) each number plays, chosen in
    turn: every sixth does not answer, the others play the next call of their kind."""

    def __init__(self) -> None:
        self.chosen: dict[str, str] = {}
        self._debtor = self._third = 0

    def choose(self, e164: str, contact: str) -> str:
        """The number's scenario, chosen the first time it is asked for."""
        found = self.chosen.get(e164)
        if found is not None:
            return found
        index = len(self.chosen)
        if index % 6 == 5:
            found = UNANSWERED[(index // 6) % 3]
        elif contact == "debtor":
            found = DEBTOR_CALLS[self._debtor % len(DEBTOR_CALLS)]
            self._debtor += 1
        else:
            found = THIRD_PARTY_CALLS[self._third % len(THIRD_PARTY_CALLS)]
            self._third += 1
        self.chosen[e164] = found
        return found

    def every_number(self, schedule: Schedule) -> dict[str, str]:
        """A scenario for every number of the book, dialable now or not (a number blocked
        at the day's start may be dialled from the console later that day)."""
        entries: Iterable[NumberEntry] = (
            *(work.entry for work in schedule.dialable),
            *(blocked.entry for blocked in schedule.blocked),
        )
        for entry in entries:
            self.choose(entry.number.e164, entry.person.contact_type.value)
        return dict(self.chosen)


def scenarios_for(chosen: Mapping[str, str], sounds: Path) -> dict[str, Scenario]:
    """Each number's scenario with the sides of its labelled call, split once per call."""
    if not LABELLED.is_dir():
        raise FileNotFoundError(f"{LABELLED}: the labelled calls the simulated phones play")
    sides: dict[str, tuple[Path, Path]] = {}
    scenarios: dict[str, Scenario] = {}
    for e164, name in chosen.items():
        if name in UNANSWERED:
            scenarios[e164] = Scenario(name)
            continue
        if name not in sides:
            label = json.loads((LABELLED / f"{name}.json").read_text(encoding="utf-8"))
            sides[name] = split_labelled_call(
                LABELLED / f"{name}.wav", label["agent_channel"], sounds
            )
        agent, callee = sides[name]
        scenarios[e164] = Scenario("answer", callee, agent, rings_s=1.0)
    return scenarios


@contextmanager
def demo_line(app: App, scenarios: Mapping[str, Scenario]) -> Iterator[Sandbox]:
    """The demo's Asterisk and its simulated phones, running until the block ends (whatever
    ends it: an error, Ctrl-C, SIGTERM made an interrupt); yields the core Asterisk."""
    work = app.paths.demo
    work.mkdir(parents=True, exist_ok=True)
    core = new_sandbox(ensure_root(default_cache()), instance_name("demo", work))
    core_state, phones_state = work / "core.json", work / "phones.json"
    running = start(core, core_state)
    phones: Sandbox | None = None
    try:
        phones = start_phones(running, scenarios, phones_state)
        yield running
    finally:
        if phones is not None:
            stop_sandbox(phones, phones_state)
        stop_sandbox(running, core_state)
