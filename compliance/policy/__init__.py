"""The dial policy: may this number be called now, why not, and when next? (pure)"""

from compliance.policy.engine import Decision, Evaluator, decide, fact_key
from compliance.policy.facts import (
    AttemptHistory,
    CaseFacts,
    Consent,
    ConsentScope,
    ContactType,
    DebtorReach,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
)
from compliance.policy.profile import Profile, load_profile
from compliance.policy.rules import Block, Grounds

__all__ = [
    "AttemptHistory",
    "Block",
    "CaseFacts",
    "Consent",
    "ConsentScope",
    "ContactType",
    "DebtorReach",
    "Decision",
    "Evaluator",
    "Grounds",
    "NumberFacts",
    "Outcome",
    "PastAttempt",
    "PersonFacts",
    "Profile",
    "decide",
    "fact_key",
    "load_profile",
]
