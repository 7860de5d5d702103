"""The live follower beside a real campaign: the sandbox dials a simulated phone that
plays cw34's callee (a complaint 6.75–10.21 s into a 13.9 s call) over SIP/RTP, MixMonitor
records each direction, and `callwarden live`'s spool watcher holds the case before the
hangup. The recogniser is the located fake (tests/test_live.py): this checks the route and
its timing, not Whisper."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import select

from compliance.policy.engine import Decision
from store.db import SessionFactory
from store.models import (
    CallAttempt,
    Case,
    Hold,
    LiveAlert,
    LiveCall,
    LiveUtterance,
    PhoneNumber,
)
from store.reservation import reserve_attempt
from tests.test_campaign import Network, campaign, network  # noqa: F401 (the fixture)
from tests.test_live import Located, deps
from tests.test_reservation import JUDGE, at
from transcriber.live import SpoolWatcher

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


class SecondAgent(threading.Thread):
    """Agent 2 reserves another number of the complaining debtor's case as soon as a hold is on
    it (in wall time, while the call is still up): the hold, not luck, must refuse it."""

    def __init__(self, sessions: SessionFactory, case_id: int) -> None:
        super().__init__(daemon=True)
        self.sessions, self.case_id = sessions, case_id
        self.stop = threading.Event()
        self.tried_at: datetime | None = None
        self.decision: Decision | None = None
        self.start()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            with self.sessions() as session:
                held = session.scalar(select(Hold.id).where(Hold.case_id == self.case_id))
                numbers = session.scalars(
                    select(PhoneNumber.id)
                    .join(Case, Case.debtor_id == PhoneNumber.person_id)
                    .where(Case.id == self.case_id)
                    .order_by(PhoneNumber.id.desc())
                ).all()
            if held is None:
                continue
            self.tried_at = datetime.now(UTC)
            reserved = reserve_attempt(
                self.sessions, numbers[0], self.case_id, at(10), JUDGE, lookback=JUDGE.lookback
            )
            self.decision = cast("Decision", reserved.verdict)
            return


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_complaint_over_sip_holds_the_case_before_the_hangup(
    sessions: SessionFactory, request: pytest.FixtureRequest
) -> None:
    net: Network = request.getfixturevalue("network")
    complaint = net.items[4]  # the PLAN in tests/test_campaign.py: cw34
    errors: list[tuple[int, Exception]] = []
    watcher = SpoolWatcher(
        deps(sessions, Located("cw34")), net.core.recordings, lambda a, e: errors.append((a, e))
    )
    follower = threading.Thread(target=watcher.run)
    follower.start()
    second = SecondAgent(sessions, complaint.case_id)
    try:
        campaign(sessions, net.core, net.gate, {1: [complaint]}, at(10)).run()
    finally:
        watcher.stop.set()
        second.stop.set()
        follower.join(timeout=30)
        second.join(timeout=30)
    assert not follower.is_alive() and errors == []
    with sessions() as session:
        attempt = session.scalars(select(CallAttempt).order_by(CallAttempt.id)).first()
        assert attempt is not None  # the campaign's call (the second agent's was blocked)
        [hold] = session.scalars(select(Hold).where(Hold.case_id == complaint.case_id))
        rows = list(session.scalars(select(LiveUtterance)))
        [alert] = session.scalars(select(LiveAlert))
        whole = session.get_one(LiveCall, attempt.id)  # the final headers ended the follow
    # the campaign's clock is simulated: the hangup in wall time is when MixMonitor closed
    # the file (it rewrites the header then), and the call began its length before that
    rx = net.core.recordings / f"attempt-{attempt.id}-rx.wav"
    closed = datetime.fromtimestamp(rx.stat().st_mtime, UTC)
    began = closed - timedelta(seconds=(rx.stat().st_size - 44) / 16000)
    assert began < hold.placed_at < closed
    assert hold.placed_by == "live" and "投诉" in hold.detail
    # another agent tried the case once the hold was there, while the call was still up
    assert second.tried_at is not None and hold.placed_at <= second.tried_at < closed
    assert second.decision is not None and not second.decision.allowed
    assert "law.hold" in [block.rule_id for block in second.decision.blocks]
    assert alert.call_attempt_id == attempt.id and "投诉" in alert.evidence
    assert {r.speaker for r in rows} == {"agent", "callee"}
    whole_after = (whole.finished_at - closed).total_seconds()
    assert whole_after < 2.0  # seen from the header rewrite, not after idle_end_s
    print(
        f"\nlive transcript whole {whole_after:.2f} s after the hangup; hold placed "
        f"{(closed - hold.placed_at).total_seconds():.2f} s before the hangup, "
        f"{(hold.placed_at - began).total_seconds() - 10.21:.2f} s after the complaint ended"
    )
