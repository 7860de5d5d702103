"""The rules a dial-policy profile lists, one model per ``kind``, validated at load (the
words a refusal gives are catalog messages: :mod:`compliance.problems`)."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from compliance.policy.facts import CaseStatusName, ContactType, NumberStateName
from compliance.problems import TIME_OF_DAY
from compliance.said import N_, SaidError

_ONE_PERIOD = N_("period = 'calendar_day' 与 rolling_days 只能且必须写一个")

Per = Literal["person", "number", "person_case"]
PROFILE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""What ``extends`` may hold: a profile's name, looked up in the policy folders; never a path."""


def _time_of_day(value: object) -> object:
    """A time of day as written (``"08:00"``, or TOML's local time): the validation library
    would also take a number (``8``: eight seconds past midnight UTC) or an offset, which no
    window on the profile's clock means."""
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, time) or value.tzinfo is not None:
        raise SaidError(TIME_OF_DAY)
    return value


ClockTime = Annotated[time, BeforeValidator(_time_of_day)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _RuleBase(_Spec):
    id: str = Field(min_length=1)
    layer: Literal["law", "industry", "company", "bank"]
    """``industry``: an association's guideline that banks write into their contracts."""
    source: str = Field(min_length=1)
    """The document and clause this rule comes from."""
    client_banks: tuple[str, ...] = ()
    """Only cases of these banks (empty: every bank)."""
    contact_types: tuple[ContactType, ...] = ()
    """Only calls to these kinds of contact (empty: everyone)."""


class WindowRule(_RuleBase):
    """Calls only between ``start`` and ``end`` on the profile's clock."""

    kind: Literal["window"]
    start: ClockTime
    end: ClockTime
    consent: Literal["window"] | None = None
    """``"window"``: a debtor's consent to be called outside it relaxes this rule (issue 19);
    unset, no consent does. Say so only where the rule's source allows "unless agreed"."""

    @model_validator(mode="after")
    def _ordered(self) -> WindowRule:
        if self.start >= self.end:
            raise SaidError(N_("开始时刻必须早于结束时刻"))
        return self


class StatutoryHolidayRule(_RuleBase):
    """No collection on statutory holidays; adjusted working days (调休) are normal days."""

    kind: Literal["statutory_holidays"]


class CapRule(_RuleBase):
    """At most ``max`` outbound attempts of an outcome per key per period."""

    kind: Literal["cap"]
    outcome: Literal["connected", "unanswered", "any"]
    per: Per
    period: Literal["calendar_day"] | None = None
    rolling_days: float | None = Field(default=None, gt=0)
    max: int = Field(ge=0)
    consent: Literal["frequency"] | None = None
    """``"frequency"``: a debtor's consent to be called more often lifts this cap for calls
    to the debtor (issue 19); unset, no consent does."""

    @model_validator(mode="after")
    def _one_period(self) -> CapRule:
        if (self.period is None) == (self.rolling_days is None):
            raise SaidError(_ONE_PERIOD)
        return self


class MinIntervalRule(_RuleBase):
    """At least ``hours`` between two outbound attempts per key (e.g. family every 3 days),
    or ``working_days``: the next call no earlier than the ``working_days``-th working day
    after the last one's day, on the profile's calendar (weekends and statutory holidays
    skipped, adjusted working days (调休) counted; an unknown year blocks)."""

    kind: Literal["min_interval"]
    per: Per
    hours: float | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, ge=1, le=60)

    @model_validator(mode="after")
    def _one_span(self) -> MinIntervalRule:
        if (self.hours is None) == (self.working_days is None):
            raise SaidError(N_("hours 与 working_days 只能且必须写一个"))
        return self


class QuietAfterConversationRule(_RuleBase):
    """No call for ``days`` after a conversation (an answered call) per key."""

    kind: Literal["quiet_after_conversation"]
    per: Per
    days: float = Field(gt=0)


class DoNotCallRule(_RuleBase):
    kind: Literal["do_not_call"]


class HoldRule(_RuleBase):
    """No call on a case on hold (停催) until a supervisor clears it."""

    kind: Literal["hold"]


class CaseStatusRule(_RuleBase):
    kind: Literal["case_status"]
    blocked: tuple[CaseStatusName, ...]
    """A name the store does not know is refused: a typo must not quietly block nothing."""


class ContactTypeRule(_RuleBase):
    """Only these contact types may be called; anything else (``unknown``) is blocked."""

    kind: Literal["contact_type"]
    allowed: tuple[ContactType, ...]


class NumberStateRule(_RuleBase):
    kind: Literal["number_state"]
    blocked: tuple[NumberStateName, ...]


GATE_ATTEMPTS_MAX = 10
"""The most debtor attempts a ``third_party_gate`` may look back over: both roads to the
policy load the debtor's latest ``store.debtor_facts.DEBTOR_ATTEMPTS`` (the same number)."""


class ThirdPartyGateRule(_RuleBase):
    """A third party (anyone but the debtor) only once the debtor cannot be reached: every
    debtor number is in one of ``unreachable_states``, or the debtor's last
    ``failed_attempts`` outbound attempts all failed or went unanswered."""

    kind: Literal["third_party_gate"]
    unreachable_states: tuple[NumberStateName, ...] = Field(min_length=1)
    failed_attempts: int = Field(ge=1, le=GATE_ATTEMPTS_MAX)


class OneCallAtATimeRule(_RuleBase):
    """No call to a person who is in a call now (any direction, any of their numbers), nor
    to a number someone is in a call on. The call's end lifts it; the refusal names the
    latest instant it may last (see ``AttemptHistory.line_busy_until``)."""

    kind: Literal["one_call_at_a_time"]


RuleSpec = Annotated[
    WindowRule
    | StatutoryHolidayRule
    | CapRule
    | MinIntervalRule
    | QuietAfterConversationRule
    | DoNotCallRule
    | HoldRule
    | CaseStatusRule
    | ContactTypeRule
    | NumberStateRule
    | ThirdPartyGateRule
    | OneCallAtATimeRule,
    Field(discriminator="kind"),
]
