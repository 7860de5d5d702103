"""``decide``: may this number be dialled now, and if not, why not and when?

Pure: the caller passes the facts, the history and ``now``. Every rule of every
layer must allow a call (law ∧ company ∧ client bank): the strictest wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo

from compliance.policy.consent import relax, relaxable, unrelaxed_note
from compliance.policy.facts import (
    AttemptHistory,
    CaseFacts,
    ConsentScope,
    ContactType,
    NumberFacts,
    PersonFacts,
)
from compliance.policy.profile import Profile
from compliance.policy.rule_specs import RuleSpec
from compliance.policy.rules import (
    CHECKS,
    MOMENT_ONLY,
    Block,
    Check,
    Facts,
    Grounds,
    Moment,
    applies,
)
from compliance.policy.third_party import third_party_gate

CLOCK_RULE = "profile.clock"
SEARCH_STEPS = 64
SEARCH_HORIZON = timedelta(days=400)


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for one number at one instant, with everything needed to explain it."""

    allowed: bool
    rule_id: str | None
    """The rule that blocked (the first in profile order); None when allowed."""
    reason_zh: str
    reason_en: str
    next_allowed_at: datetime | None
    """``now`` when allowed; None when waiting alone will never allow it."""
    ruleset: str
    counters: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    blocks: tuple[Block, ...] = ()
    """Every rule that blocked at ``now``."""
    grounds: tuple[Grounds, ...] = ()
    """What the rules that allowed it said (the third-party gate: which condition held; a
    consent that relaxed a rule)."""

    @property
    def consents(self) -> tuple[int, ...]:
        """The ids of the debtor's consents that lifted a rule for this decision."""
        return tuple(g.consent_id for g in self.grounds if g.consent_id is not None)


ALL_CHECKS: dict[str, Check] = {**CHECKS, "third_party_gate": third_party_gate}
# The third-party gate runs per number like the history rules: it adds grounds to the
# decision, which the per-instant cache of blocks would not keep.
HISTORY_KINDS = frozenset(
    {"cap", "min_interval", "quiet_after_conversation", "third_party_gate", "one_call_at_a_time"}
)
Compiled = tuple[int, RuleSpec, Check, bool, bool, ConsentScope | None]


def _fact_key(number: NumberFacts, person: PersonFacts, case: CaseFacts) -> tuple[object, ...]:
    debtor = person.contact_type == ContactType.DEBTOR
    return fact_key(
        person.contact_type,
        case.client_bank,
        case.status,
        case.hold_reason,
        number.do_not_call,
        number.state,
        # only a third party's decision reads the debtor's reach (the third-party gate)
        None if debtor else case.debtor,
        # only the debtor's decision reads the consents (a rule marked ``consent``)
        case.consents if debtor else (),
    )


def fact_key(  # noqa: PLR0917 (the facts themselves, so callers need not build them)
    contact_type: str,
    client_bank: str,
    case_status: str,
    hold_reason: str | None,
    do_not_call: bool,
    number_state: str,
    debtor: object,
    consents: tuple[object, ...],
) -> tuple[object, ...]:
    """Everything a rule other than the history rules may read about a number: a number
    without history is decided the same as any other with the same key (and clock zone).
    ``debtor``: the case's :class:`DebtorReach` for a third party, None for the debtor.
    ``consents``: the case's consents for the debtor, () for a third party (a consent
    lifts a window, which the per-instant memo would otherwise share between cases)."""
    return (
        contact_type,
        client_bank,
        case_status,
        hold_reason,
        do_not_call,
        number_state,
        debtor,
        consents,
    )


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


class Evaluator:
    """Decides many numbers against one profile, sharing per-instant work between them."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._moments: dict[tuple[datetime, str], Moment] = {}
        self._last: Moment | None = None
        # Compiled once: (position, rule, check, needs an applicability test, instant-only)
        compiled = [
            (
                index,
                rule,
                ALL_CHECKS[rule.kind],
                bool(rule.client_banks or rule.contact_types),
                rule.kind in MOMENT_ONLY,
                relaxable(rule),
            )
            for index, rule in enumerate(profile.rules)
        ]
        self._rules = tuple(compiled)
        # Rules that read the history run per number; the rest depend only on the instant and
        # on a few facts (see _fact_key), so they run once per instant and kind of number.
        self._history_rules = tuple(c for c in compiled if c[1].kind in HISTORY_KINDS)
        self._static_rules = tuple(c for c in compiled if c[1].kind not in HISTORY_KINDS)

    def moment(self, at: datetime, zone: str) -> Moment:
        last = self._last
        if last is not None and last.at is at and last.zone_name == zone:
            return last
        key = (at, zone)
        found = self._moments.get(key)
        if found is None:
            if len(self._moments) > 4096:
                self._moments.clear()
            found = self._moments[key] = Moment.of(at, _zone(zone))
        self._last = found
        return found

    def decide(
        self,
        number: NumberFacts,
        person: PersonFacts,
        case: CaseFacts,
        counters: AttemptHistory,
        now: datetime,
    ) -> Decision:
        if now.tzinfo is not UTC:
            if now.tzinfo is None:
                raise ValueError("now must be timezone-aware")
            now = now.astimezone(UTC)  # attempts are UTC; same-zone comparisons are fast
        zone = self._clock_zone(number)
        if isinstance(zone, Block):
            return self._blocked(now, [zone], {}, zone.next_allowed_at)
        moment = self.moment(now, zone)
        key = _fact_key(number, person, case)
        if not counters:
            # Without history (no attempt, no call up now) the whole decision depends on
            # the key alone: decide each once.
            found = moment.decisions.get(key)
            if found is None:
                facts = Facts(number, person, case, counters, self.profile)
                found = moment.decisions[key] = self._decide(facts, zone, moment, key)
            return found
        return self._decide(Facts(number, person, case, counters, self.profile), zone, moment, key)

    def _decide(self, facts: Facts, zone: str, moment: Moment, key: tuple[object, ...]) -> Decision:
        static = moment.static.get(key)
        if static is None:
            ran = self._run(self._static_rules, facts, moment, {})
            static = moment.static[key] = (ran, tuple(facts.grounds))
        else:
            facts.grounds.extend(static[1])  # what consents relaxed, as when first run
        seen: dict[str, int] = {}
        found = static[0] + self._run(self._history_rules, facts, moment, seen)
        grounds = tuple(facts.grounds)
        if not found:
            return Decision(
                True,
                None,
                "".join(("允许拨打", *(f"：{g.reason_zh}" for g in grounds))),
                "".join(("allowed", *(f": {g.reason_en}" for g in grounds))),
                moment.at,
                self.profile.ruleset,
                MappingProxyType(seen),
                grounds=grounds,
            )
        found.sort(key=lambda pair: pair[0])
        blocks = [block for _, block in found]
        next_at = self._search_next(facts, zone, moment.at, blocks)
        note = unrelaxed_note(blocks[0], facts, moment)
        return self._blocked(moment.at, blocks, seen, next_at, grounds, note=note)

    @staticmethod
    def _run(
        rules: tuple[Compiled, ...], facts: Facts, moment: Moment, seen: dict[str, int]
    ) -> list[tuple[int, Block]]:
        found = []
        shared = moment.shared
        for index, rule, run, filtered, instant_only, scope in rules:
            if filtered and not applies(rule, facts):
                continue
            if instant_only:
                if rule.id not in shared:
                    shared[rule.id] = run(rule, facts, moment, seen)
                block = shared[rule.id]
            else:
                block = run(rule, facts, moment, seen)
            if block is None:
                continue
            if scope is not None and (lifted := relax(scope, block, facts, moment)) is not None:
                facts.grounds.append(lifted)  # the decision names the consent
                continue
            found.append((index, block))
        return found

    def _clock_zone(self, number: NumberFacts) -> str | Block:
        if self.profile.clock == "centre":
            return self.profile.timezone
        if len(number.time_zones) == 1:
            return number.time_zones[0]
        known = ", ".join(number.time_zones) or "none"
        return Block(
            CLOCK_RULE,
            f"无法确定被叫方所在时区（{known}），不拨打",
            f"the callee's time zone is unknown or ambiguous ({known}): not dialled",
            None,
        )

    def _blocks(self, facts: Facts, moment: Moment, seen: dict[str, int]) -> list[Block]:
        return [block for _, block in self._run(self._rules, facts, moment, seen)]

    def _search_next(
        self, facts: Facts, zone: str, now: datetime, blocks: list[Block]
    ) -> datetime | None:
        """Jump to the latest instant each blocking rule names until none blocks.

        Assumes no further attempts happen meanwhile. A rule that names no
        instant (a hold, do-not-call) ends the search: None.
        """
        at = now
        for _ in range(SEARCH_STEPS):
            if any(b.next_allowed_at is None for b in blocks):
                return None
            later = max(b.next_allowed_at for b in blocks if b.next_allowed_at is not None)
            if later <= at or later - now > SEARCH_HORIZON:
                return None
            at = later.astimezone(UTC)
            blocks = self._blocks(facts, self.moment(at, zone), {})
            if not blocks:
                return at
        return None

    def _blocked(
        self,
        now: datetime,
        blocks: list[Block],
        seen: dict[str, int],
        next_at: datetime | None,
        grounds: tuple[Grounds, ...] = (),
        *,
        note: tuple[str, str] | None = None,
    ) -> Decision:
        first = blocks[0]
        note_zh, note_en = note or ("", "")
        return Decision(
            allowed=False,
            rule_id=first.rule_id,
            reason_zh=first.reason_zh + note_zh,
            reason_en=first.reason_en + note_en,
            next_allowed_at=next_at,
            ruleset=self.profile.ruleset,
            counters=MappingProxyType(seen),
            blocks=tuple(blocks),
            grounds=grounds,
        )


def decide(  # noqa: PLR0917 (the signature callers and tests share)
    number: NumberFacts,
    person: PersonFacts,
    case: CaseFacts,
    counters: AttemptHistory,
    now: datetime,
    profile: Profile,
) -> Decision:
    """Decide one dial. For many numbers at one instant, reuse an :class:`Evaluator`."""
    return Evaluator(profile).decide(number, person, case, counters, now)
