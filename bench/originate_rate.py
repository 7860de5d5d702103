"""Originates per second through the real embedded Asterisk, with every cap held.

Every number of the sample book is put on the worklists three times and
dialled by 50 simulated agents with no rate limit; the simulated network
answers every call busy (so it ends at once). Each originate follows its
atomic reservation, so the caps (5 unanswered a day per person) refuse the
surplus. Reported: originates per second from the first to the last, and the
cap violations found afterwards (must be 0). Baseline in the same run: bare
AMI originates of the same numbers with no reservation.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from compliance.policy import load_profile
from dialer.ami import OriginateRequest, PystAmi
from dialer.calls import DialItem
from dialer.campaign import Campaign, CampaignSettings
from dialer.gate import PolicyJudge
from dialer.sandbox import (
    Sandbox,
    default_cache,
    ensure_root,
    instance_name,
    new_sandbox,
    start,
    stop,
)
from dialer.sandbox.phones import Scenario, start_phones
from store.case_import import import_cases
from store.db import make_engine, make_session_factory
from store.enums import AttemptStatus, Direction
from store.migrate import upgrade
from store.models import Agent, CallAttempt, Case, PhoneNumber

SAMPLE = Path(__file__).resolve().parent.parent / "config" / "samples" / "cases.csv"
TEN_AM = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday


def run(agents: int = 50) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        engine = make_engine(f"sqlite:///{work / 'bench.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        import_cases(SAMPLE, sessions, "bench")
        with sessions() as session:
            rows = session.execute(
                select(PhoneNumber.id, Case.id, PhoneNumber.e164)
                .join(Case, Case.debtor_id == PhoneNumber.person_id)
                .order_by(PhoneNumber.id)
            ).all()
        items = [DialItem(*row) for row in rows] * 3
        core = new_sandbox(ensure_root(default_cache()), instance_name("bench", work))
        running = start(core, work / "core.json")
        scenarios = {i.e164: Scenario("busy") for i in items}
        phones: Sandbox | None = None
        try:  # a phone network that fails to start stops itself; the core is stopped here
            phones = start_phones(running, scenarios, work / "p.json")
            bare = _bare(running, [i.e164 for i in items[: len(rows)]])
            ours = _campaign(sessions, running, items, agents)
        finally:
            if phones is not None:
                stop(phones, work / "p.json")
            stop(running, work / "core.json")
        ours["violations"] = _violations(sessions)
        engine.dispose()
    return {"ours": ours, "bare": bare, "ours_vs_bare": round(ours["per_s"] / bare["per_s"], 3)}


def _campaign(sessions: Any, core: Any, items: list[DialItem], agents: int) -> dict[str, Any]:
    with sessions.begin() as session:
        session.add_all(
            Agent(id=n, code=f"B{n:02d}", name=f"bench {n}", sip_endpoint="PJSIP/a01@simnet")
            for n in range(1, agents + 1)
        )
    worklists = {n: items[n::agents] for n in range(1, agents + 1)}
    judge = PolicyJudge(load_profile("cn-default"))
    began = time.monotonic()
    campaign = Campaign(
        sessions,
        judge,
        lambda: PystAmi("127.0.0.1", core.ami_port, core.ami_user, core.ami_secret),
        worklists,
        dict.fromkeys(worklists, "PJSIP/a01@simnet"),
        lambda: TEN_AM + timedelta(seconds=time.monotonic() - began),
        CampaignSettings(
            recordings_inside=core.recordings_inside,
            recordings_host=core.recordings,
            originate_per_s=10_000,
            ring_timeout_s=5,
            run_for_s=300,
        ),
    )
    summary = campaign.run()
    with sessions() as session:
        first, last, count = session.execute(
            select(
                func.min(CallAttempt.originated_at),
                func.max(CallAttempt.originated_at),
                func.count(CallAttempt.originated_at),
            )
        ).one()
    span = (last - first).total_seconds() if count > 1 else 1.0
    return {
        "originated": count,
        "refused_by_caps": summary.blocked_at_reservation,
        "per_s": (count - 1) / span,
        "outcomes": summary.outcomes,
    }


def _bare(core: Any, numbers: list[str]) -> dict[str, Any]:
    ami = PystAmi("127.0.0.1", core.ami_port, core.ami_user, core.ami_secret)
    start_at = time.perf_counter()
    for number in numbers:
        ami.originate(
            OriginateRequest(channel=f"PJSIP/{number}@simnet", context="callwarden-answered")
        )
    elapsed = time.perf_counter() - start_at
    time.sleep(3)  # let them all end before the campaign starts
    ami.close()
    return {"originated": len(numbers), "per_s": len(numbers) / elapsed}


def _violations(sessions: Any) -> int:
    """People with more outbound unanswered attempts in the day than the cap (5) allows."""
    with sessions() as session:
        counts = session.execute(
            select(CallAttempt.person_id, func.count())
            .where(
                CallAttempt.direction == Direction.OUTBOUND,
                CallAttempt.status.in_(
                    [AttemptStatus.BUSY, AttemptStatus.NO_ANSWER, AttemptStatus.FAILED]
                ),
            )
            .group_by(CallAttempt.person_id)
        ).all()
    return sum(1 for _, n in counts if n > 5)


def report(result: dict[str, Any]) -> str:
    ours, bare = result["ours"], result["bare"]
    return (
        "originates through the embedded Asterisk (every callee busy):\n"
        f"  campaign {ours['per_s']:6.1f}/s, {ours['originated']} originated, "
        f"{ours['refused_by_caps']} refused by the caps, {ours['violations']} cap violations\n"
        f"  bare AMI {bare['per_s']:6.1f}/s ({bare['originated']} originates, no reservation)\n"
        f"  campaign = {result['ours_vs_bare']}× bare"
    )
