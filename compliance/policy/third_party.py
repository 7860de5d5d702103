"""The third-party gate: family, colleagues, emergency and other contacts only once the
debtor cannot be reached (pure).

The 2026 banking-association guideline allows a third party to be contacted only after
the debtor cannot be reached, e.g. the debtor's number is invalid or 3 consecutive
attempts failed. Either condition lets the call through, and the decision says which;
when neither holds it says why. Waiting alone never changes the answer (only a number's
state or another attempt does), so a refusal names no next instant.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from compliance.policy.facts import ContactType, DebtorReach, Outcome
from compliance.policy.rule_specs import ThirdPartyGateRule
from compliance.policy.rules import Block, Counters, Facts, Grounds, Moment


def third_party_gate(
    rule: ThirdPartyGateRule, facts: Facts, moment: Moment, counters: Counters
) -> Block | None:
    if facts.person.contact_type == ContactType.DEBTOR:
        return None  # the debtor is never a third party
    reach = facts.case.debtor
    held = _held(rule, reach, moment.zone)
    if held is not None:
        facts.grounds.append(Grounds(rule.id, *held))
        return None
    zh, en = _why_not(rule, reach, moment.zone)
    return Block(rule.id, zh, en, None)


def debtor_unreachable(rule: ThirdPartyGateRule, reach: DebtorReach) -> bool:
    """Whether the gate lets the case's third parties be called, whatever the instant (the
    scheduler's related-contact cadence reads it; the words are the decision's)."""
    return _held(rule, reach, ZoneInfo("UTC")) is not None


def _held(rule: ThirdPartyGateRule, reach: DebtorReach, zone: ZoneInfo) -> tuple[str, str] | None:
    """Which condition lets a third party be called, in Chinese and English; None: neither."""
    states = reach.number_states
    # No number on file is not "every number unreachable": fail closed.
    if states and all(state in rule.unreachable_states for state in states):
        listed = "、".join(states)
        return (
            f"债务人的全部号码均无法联系（{listed}），可联系第三方",
            f"every debtor number is unreachable ({', '.join(states)}), third parties allowed",
        )
    n = rule.failed_attempts
    last = reach.recent[-n:]
    if len(last) == n and all(outcome == Outcome.UNANSWERED for _, outcome in last):
        at = _wall(last[-1][0], zone)
        return (
            f"债务人最近连续 {n} 次外呼均未接通（最近一次 {at}），可联系第三方",
            f"the debtor's last {n} calls all failed or went unanswered (latest {at}), "
            "third parties allowed",
        )
    return None


def _why_not(rule: ThirdPartyGateRule, reach: DebtorReach, zone: ZoneInfo) -> tuple[str, str]:
    n = rule.failed_attempts
    last = reach.recent[-n:]
    for at, outcome in reversed(last):
        if outcome == Outcome.CONNECTED:
            wall = _wall(at, zone)
            return (
                f"债务人 {wall} 已接听，暂不能联系第三方",
                f"debtor answered {wall}, third parties not yet allowed",
            )
        if outcome == Outcome.IN_FLIGHT:
            wall = _wall(at, zone)
            return (
                f"债务人的外呼（{wall}）尚未结束，暂不能联系第三方",
                f"a call to the debtor ({wall}) is still in progress, "
                "third parties not yet allowed",
            )
    if not last:
        return (
            "尚未联系过债务人，暂不能联系第三方",
            "the debtor has not been called yet, third parties not yet allowed",
        )
    return (
        f"债务人仅 {len(last)} 次外呼未接通（需连续 {n} 次），暂不能联系第三方",
        f"only {len(last)} failed call(s) to the debtor so far ({n} in a row needed), "
        "third parties not yet allowed",
    )


def _wall(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%Y-%m-%d %H:%M}"
