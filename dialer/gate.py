"""The policy gate: asks the engine about what the database knows, through the one
translation from rows to facts (:mod:`dialer.facts`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from compliance.policy import Decision, Evaluator, Profile
from dialer.facts import DialFacts, dial_facts
from store.reservation import DialContext


class PolicyJudge:
    """A ``store.reservation.Judge`` backed by one profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.evaluator = Evaluator(profile)
        self.lookback: timedelta = profile.lookback()
        self.with_zones = profile.clock == "callee"

    def facts(self, context: DialContext) -> DialFacts:
        return dial_facts(context, with_zones=self.with_zones)

    def __call__(self, context: DialContext, now: datetime) -> Decision:
        number, person, case, history = self.facts(context)
        return self.evaluator.decide(number, person, case, history, now)
