"""The kept-schedule bench's clock: a working Tuesday in Shanghai, running at real speed
from the moment the bench set it (every process of one run reads the same instant)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

START = datetime(2026, 12, 1, 3, 5, tzinfo=UTC)
"""11:05 in Shanghai: the next retry-slot boundary (14:00) is hours away, so the clock's
walls do not rebuild the book during a run; each case's own instants still come."""


@dataclass(frozen=True, slots=True)
class BenchClock:
    epoch: float
    """``time.time()`` when the bench clock read :data:`START`."""

    def now(self) -> datetime:
        return START + timedelta(seconds=time.time() - self.epoch)
