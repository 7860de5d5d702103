"""Consent as data (issue 19 item 2): a debtor's approved consent relaxes only the rules a
profile marks ``consent``, only for the debtor, only while in force, and the decision says
which consent did it. Pure: no database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compliance.errors import ProfileError
from compliance.policy import (
    AttemptHistory,
    CaseFacts,
    Consent,
    ConsentScope,
    ContactType,
    Evaluator,
    NumberFacts,
    Outcome,
    PastAttempt,
    PersonFacts,
    Profile,
    load_profile,
)
from compliance.policy.rule_specs import CapRule, WindowRule
from tests.helpers import english

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 12, 1)  # a Tuesday, a working day
CN = load_profile("cn-default")
CBA = load_profile("cn-cba-2026")
NUMBER = NumberFacts("+8613812348000")
DEBTOR = PersonFacts(1, ContactType.DEBTOR)
FAMILY = PersonFacts(2, ContactType.FAMILY)
NONE = AttemptHistory()

RELAXING = """\
id = "bank-relaxing"
version = "1"
extends = "cn-cba-2026"

[[rules]]
id = "bank.window"
layer = "bank"
kind = "window"
start = "08:00"
end = "20:00"
consent = "window"
source = "a bank's contract: 08:00–20:00 unless the debtor agreed"
"""


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SH)


def consent(
    consent_id: int = 7,
    scope: ConsentScope = ConsentScope.WINDOW,
    start: datetime | None = None,
    until: datetime | None = None,
) -> Consent:
    return Consent(
        consent_id,
        scope,
        start or at(0, day=DAY - timedelta(days=3)),
        until or at(0, day=DAY + timedelta(days=30)),
    )


def case(*consents: Consent, case_id: int = 10) -> CaseFacts:
    return CaseFacts(case_id, "ICBC-CC", consents=consents)


@pytest.fixture(scope="module")
def relaxing(tmp_path_factory: pytest.TempPathFactory) -> Profile:
    path = Path(tmp_path_factory.mktemp("policy")) / "bank-relaxing.toml"
    path.write_text(RELAXING, encoding="utf-8")
    return load_profile(path)


def test_a_consent_lets_a_2130_call_through_a_window_marked_relaxable_and_says_so(
    relaxing: Profile,
) -> None:
    without = Evaluator(relaxing).decide(NUMBER, DEBTOR, case(), NONE, at(21, 30))
    assert (without.allowed, without.rule_id) == (False, "bank.window")
    decision = Evaluator(relaxing).decide(NUMBER, DEBTOR, case(consent()), NONE, at(21, 30))
    assert decision.allowed
    assert decision.consents == (7,)
    assert [g.rule_id for g in decision.grounds] == ["bank.window"]
    assert "consent #7 (window, until 2026-12-31 00:00) relaxes bank.window" in decision.reason_en
    assert "债务人同意时段外拨打（同意 #7" in decision.reason_zh


def test_at_2230_the_law_still_blocks_whatever_the_consent(relaxing: Profile) -> None:
    decision = Evaluator(relaxing).decide(NUMBER, DEBTOR, case(consent()), NONE, at(22, 30))
    assert (decision.allowed, decision.rule_id) == (False, "law.window")
    assert decision.reason_en.endswith("(consent #7 does not relax law.window)")
    assert "不能放宽 law.window" in decision.reason_zh
    # the guideline's own window was relaxed and says so; the law's was not
    assert [g.rule_id for g in decision.grounds] == ["cba.window", "bank.window"]
    assert decision.next_allowed_at == at(8, day=DAY + timedelta(days=1))


def test_the_companys_own_window_is_not_relaxed_unless_its_profile_says_so() -> None:
    decision = Evaluator(CN).decide(NUMBER, DEBTOR, case(consent()), NONE, at(21, 30))
    assert (decision.allowed, decision.rule_id) == (False, "company.window")
    assert "consent #7 does not relax company.window" in decision.reason_en


@pytest.mark.parametrize(
    ("person", "given"),
    [
        (FAMILY, consent()),  # a third party: a debtor's consent is the debtor's only
        (DEBTOR, consent(start=at(21, 31))),  # not yet in force
        (DEBTOR, consent(until=at(21, 30))),  # expired at that very minute
        (DEBTOR, consent(scope=ConsentScope.FREQUENCY)),  # agreed to more calls, not later ones
    ],
)
def test_a_consent_counts_only_for_the_debtor_in_force_and_in_scope(
    relaxing: Profile, person: PersonFacts, given: Consent
) -> None:
    decision = Evaluator(relaxing).decide(NUMBER, person, case(given), NONE, at(21, 30))
    assert not decision.allowed
    assert "bank.window" in {block.rule_id for block in decision.blocks}
    assert decision.consents == ()


def _unanswered(count: int, e164: str = NUMBER.e164) -> AttemptHistory:
    return AttemptHistory.of(
        PastAttempt(at(8, 5 * i), 1, 10, e164, Outcome.UNANSWERED) for i in range(count)
    )


def test_a_frequency_consent_lifts_the_guidelines_per_number_cap_only() -> None:
    history = _unanswered(6)
    blocked = Evaluator(CBA).decide(NUMBER, DEBTOR, case(), history, at(10))
    assert (blocked.allowed, blocked.rule_id) == (False, "cba.cap.unanswered_per_number")
    more = consent(8, ConsentScope.FREQUENCY)
    lifted = Evaluator(CBA).decide(NUMBER, DEBTOR, case(more), history, at(10))
    assert lifted.allowed and lifted.consents == (8,)
    assert "consent #8 (frequency, until 2026-12-31 00:00) relaxes" in lifted.reason_en
    # under cn-default the company's own 5-a-person cap (not relaxable) still binds
    company = Evaluator(CN).decide(NUMBER, DEBTOR, case(more), history, at(10))
    assert (company.allowed, company.rule_id) == (False, "company.cap.unanswered")


def test_the_engines_memo_keeps_cases_with_and_without_consent_apart(relaxing: Profile) -> None:
    """Numbers without history are decided once per kind of number and instant: a consent
    missing from the key would hand one case's answer to the other, in either order."""
    for order in ((case(), case(consent(), case_id=11)), (case(consent(), case_id=11), case())):
        evaluator = Evaluator(relaxing)
        found = {
            c.case_id: evaluator.decide(NUMBER, DEBTOR, c, NONE, at(21, 30)).allowed for c in order
        }
        assert found == {10: False, 11: True}
        # two consents with different ids are named as their own
        other = evaluator.decide(NUMBER, DEBTOR, case(consent(9)), NONE, at(21, 30))
        assert other.consents == (9,)
        # a third party of the consenting case shares nothing with its debtor
        third = evaluator.decide(NUMBER, FAMILY, case(consent()), NONE, at(21, 30))
        assert not third.allowed


def test_the_memo_of_an_instant_does_not_outlive_a_consent(relaxing: Profile) -> None:
    evaluator = Evaluator(relaxing)
    given = case(consent(until=at(21, 45)))
    assert evaluator.decide(NUMBER, DEBTOR, given, NONE, at(21, 30)).allowed
    assert not evaluator.decide(NUMBER, DEBTOR, given, NONE, at(21, 50)).allowed
    assert evaluator.decide(NUMBER, DEBTOR, given, NONE, at(21, 40)).allowed


def _profile(extra: str, tmp_path: Path) -> Profile:
    path = tmp_path / "p.toml"
    path.write_text(f'id = "p"\nversion = "1"\nextends = "cn-law"\n{extra}', encoding="utf-8")
    return load_profile(path)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            'kind = "window"\nstart = "08:00"\nend = "20:00"\nconsent = "frequency"',
            "rules[0] (x).consent: must be one of: window",
        ),
        ('kind = "hold"\nconsent = "window"', "rules[0] (x).consent: unknown key"),
        (
            'kind = "cap"\noutcome = "any"\nper = "person"\nperiod = "calendar_day"\nmax = 3\n'
            'consent = "always"',
            "rules[0] (x).consent: must be one of: frequency",
        ),
    ],
)
def test_only_windows_and_caps_may_be_marked_and_only_with_their_own_scope(
    tmp_path: Path, rule: str, message: str
) -> None:
    text = f'[[rules]]\nid = "x"\nlayer = "company"\nsource = "s"\n{rule}\n'
    with pytest.raises(ProfileError) as raised:
        _profile(text, tmp_path)
    assert message in "\n".join(english(raised.value))


def test_the_shipped_law_layer_is_relaxed_by_no_consent_and_the_guideline_says_where() -> None:
    marked = {rule.id: getattr(rule, "consent", None) for rule in CN.rules}
    assert {rule_id for rule_id, scope in marked.items() if scope} == {
        "cba.window",
        "cba.cap.unanswered_per_number",
    }
    assert marked["cba.window"] == "window"
    assert marked["cba.cap.unanswered_per_number"] == "frequency"
    assert all(getattr(r, "consent", None) is None for r in CN.rules if r.layer == "law")


# -- property: no consent ever lifts a rule it may not ------------------------------------

RELAXABLE = [i for i, r in enumerate(CN.rules) if isinstance(r, WindowRule | CapRule)]
PEOPLE = [(1, ContactType.DEBTOR, NUMBER.e164), (2, ContactType.FAMILY, "+8613912345678")]
consents = st.lists(
    st.builds(
        lambda cid, scope, start, hours: Consent(cid, scope, start, start + timedelta(hours=hours)),
        st.integers(1, 5),
        st.sampled_from(list(ConsentScope)),
        st.datetimes(datetime(2026, 11, 29), datetime(2026, 12, 3), timezones=st.just(UTC)),
        st.integers(1, 72),
    ),
    max_size=3,
).map(lambda found: tuple(sorted(found)))
history = st.lists(
    st.tuples(st.integers(0, 40 * 3600), st.sampled_from(list(Outcome)), st.integers(0, 1)),
    max_size=14,
)


def _marked(which: list[bool]) -> Profile:
    """cn-default with some window and cap rules, of any layer, marked relaxable."""
    rules = list(CN.rules)
    for index, mark in zip(RELAXABLE, which, strict=False):
        rule = rules[index]
        if mark:
            scope = "window" if isinstance(rule, WindowRule) else "frequency"
            rules[index] = rule.model_copy(update={"consent": scope})
        else:
            rules[index] = rule.model_copy(update={"consent": None})
    return dataclasses.replace(CN, rules=tuple(rules))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.lists(st.booleans(), min_size=len(RELAXABLE), max_size=len(RELAXABLE)),
    given_consents=consents,
    past=history,
    minute=st.integers(0, 48 * 60 - 1),
    who=st.integers(0, 1),
)
def test_no_consent_lifts_a_rule_not_marked_for_its_scope(
    which: list[bool],
    given_consents: tuple[Consent, ...],
    past: list[tuple[int, Outcome, int]],
    minute: int,
    who: int,
) -> None:
    profile = _marked(which)
    now = at(0, day=DAY - timedelta(days=1)) + timedelta(minutes=minute)
    person_id, contact, e164 = PEOPLE[who]
    attempts = AttemptHistory.of(
        PastAttempt(now - timedelta(seconds=s), PEOPLE[p][0], 10, PEOPLE[p][2], o)
        for s, o, p in past
    )
    args = (NumberFacts(e164), PersonFacts(person_id, contact))
    plain = Evaluator(profile).decide(*args, case(), attempts, now)
    relaxed = Evaluator(profile).decide(*args, case(*given_consents), attempts, now)
    scope_of = {rule.id: getattr(rule, "consent", None) for rule in profile.rules}
    in_force = {
        c.scope for c in given_consents if c.active_at(now) and contact == ContactType.DEBTOR
    }
    lifted = {b.rule_id for b in plain.blocks if scope_of[b.rule_id] in in_force}
    assert {b.rule_id for b in relaxed.blocks} == {b.rule_id for b in plain.blocks} - lifted
    for ground in relaxed.grounds:
        if ground.consent_id is not None:
            named = [c for c in given_consents if c.consent_id == ground.consent_id]
            assert any(c.scope == scope_of[ground.rule_id] and c.active_at(now) for c in named)
    if contact != ContactType.DEBTOR or not in_force:
        assert relaxed.allowed == plain.allowed and relaxed.rule_id == plain.rule_id
