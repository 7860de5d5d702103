"""A campaign wired to a sandbox: its AMI, its recordings folder, a clock that starts at a
chosen instant (a simulated working day) and then runs in real time."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from dialer.ami import PystAmi
from dialer.calls import DialItem
from dialer.campaign import Campaign, CampaignSettings
from dialer.sandbox.asterisk import Sandbox
from store.db import SessionFactory
from store.reservation import Judge


@dataclass(frozen=True)
class Staffing:
    """Who dials what: each agent's worklist and how their phone is dialled."""

    worklists: dict[int, list[DialItem]]
    agent_dial: dict[int, str]


def sandbox_campaign(  # noqa: PLR0917 (what one campaign is made of)
    sessions: SessionFactory,
    judge: Judge,
    sandbox: Sandbox,
    staffing: Staffing,
    start_at: datetime,
    on_recording: Callable[[int, Path], None],
    *,
    lookback: timedelta,
    originate_per_s: float = 20.0,
    ring_timeout_s: float = 30.0,
    run_for_s: float = 3600.0,
) -> Campaign:
    began = time.monotonic()
    return Campaign(
        sessions,
        judge,
        lambda: PystAmi("127.0.0.1", sandbox.ami_port, sandbox.ami_user, sandbox.ami_secret),
        staffing.worklists,
        staffing.agent_dial,
        lambda: start_at + timedelta(seconds=time.monotonic() - began),
        CampaignSettings(
            recordings_inside=sandbox.recordings_inside,
            recordings_host=sandbox.recordings,
            originate_per_s=originate_per_s,
            ring_timeout_s=ring_timeout_s,
            lookback=lookback,
            run_for_s=run_for_s,
        ),
        on_recording=on_recording,
    )
