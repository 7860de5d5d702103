"""Consent as data: which refusals a debtor's agreement lifts, and how that is said (pure).

The 2026 banking-association guideline forbids calls 22:00–08:00 and more than 6 unanswered
calls per number a day "unless the debtor agreed". A rule says it may be relaxed so with
``consent = "window"`` (a window rule) or ``consent = "frequency"`` (a cap); no other rule,
and no rule without the key, is ever lifted: the law layer's own window in ``cn-law``
carries none, so a consent never lets a call through at 22:30. A consent counts only for a
call to the case's debtor (never a third party) and only while it is in force at the instant
decided; requests not yet approved and withdrawn consents never reach the policy.
"""

from __future__ import annotations

from compliance.policy.facts import Consent, ConsentScope, ContactType
from compliance.policy.rules import Block, Facts, Grounds, Moment

_SCOPE_ZH = {ConsentScope.WINDOW: "时段外拨打", ConsentScope.FREQUENCY: "增加拨打次数"}


def relaxable(rule: object) -> ConsentScope | None:
    """The scope of consent that lifts ``rule``, if its profile says one does."""
    scope = getattr(rule, "consent", None)
    return None if scope is None else ConsentScope(scope)


def in_force(facts: Facts, moment: Moment) -> list[Consent]:
    """The consents that count for this call at this instant: the debtor's, in force."""
    if not facts.case.consents or facts.person.contact_type != ContactType.DEBTOR:
        return []
    return [c for c in facts.case.consents if c.active_at(moment.at)]


def relax(scope: ConsentScope, block: Block, facts: Facts, moment: Moment) -> Grounds | None:
    """Grounds naming the consent that lifts ``block`` (a rule marked ``scope``), or None
    when no consent in force has that scope (the block stands)."""
    for consent in in_force(facts, moment):
        if consent.scope == scope:
            until = consent.valid_until.astimezone(moment.zone)
            return Grounds(
                block.rule_id,
                f"债务人同意{_SCOPE_ZH[scope]}（同意 #{consent.consent_id}，"
                f"有效至 {until:%Y-%m-%d %H:%M}），放宽 {block.rule_id}：{block.reason_zh}",
                f"consent #{consent.consent_id} ({scope}, until {until:%Y-%m-%d %H:%M}) "
                f"relaxes {block.rule_id}: {block.reason_en}",
                consent.consent_id,
            )
    return None


def unrelaxed_note(block: Block, facts: Facts, moment: Moment) -> tuple[str, str] | None:
    """For a refusal the debtor's consents in force do not lift: a note naming them, so the
    reason says why a consent on file did not help (the law's window, say)."""
    found = in_force(facts, moment)
    if not found:
        return None
    ids = "、".join(f"#{c.consent_id}" for c in found)
    en_ids = ", ".join(f"#{c.consent_id}" for c in found)
    return (
        f"（债务人同意 {ids} 不能放宽 {block.rule_id}）",
        f" (consent {en_ids} does not relax {block.rule_id})",
    )
