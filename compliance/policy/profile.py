"""Dial-policy profiles: TOML files an admin edits, validated at load.

A profile is a list of rules, each citing its source and its layer (law,
company or client bank). A profile may ``extends`` another: the parent's rules
come first and every rule of every layer must allow a call, so the strictest
rule wins. Rule kinds are documented in ``config/policy/README.md``.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from compliance.errors import ProfileError
from compliance.files import locate_toml
from compliance.policy.calendar import LONGEST_DAYS_OFF, CalendarYear
from compliance.policy.rule_specs import (
    PROFILE_NAME,
    CapRule,
    MinIntervalRule,
    QuietAfterConversationRule,
    RuleSpec,
)
from compliance.policy.year_data import parse_year, read_policy_toml
from compliance.problems import at, faults, refused_at, said
from compliance.said import N_, Said, SaidError

_ONE_LOST_CONTACT = N_("lost_contact_every_working_days 与 lost_contact_every_days 须写一个")
_SLOT_FORM = N_("%(slot)s：时段应写成“HH:MM-HH:MM”")
_NOT_A_NAME = N_(
    "%(value)s 不是策略名：请写上级策略的名字（小写字母、数字、“-”和“_”），不要写文件或路径"
)
_EXTENDS_ITSELF = N_("经由 %(through)s 继承了自己")
_ID_USED = N_("id %(id)s 已在 %(other)s 中用过")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scheduling(_Spec):
    """Due-ness, not caps: what the scheduler puts first."""

    first_call_working_days: int = Field(default=2, ge=0)
    retry_slots: tuple[tuple[time, time], ...] = ()
    """Local slots an unanswered number is retried in, one after another; written "HH:MM-HH:MM"."""
    lost_contact_every_working_days: int | None = Field(default=6, ge=1, le=60)
    """A case not reached for this many working days (on the profile's calendar) is due as
    lost contact (失联): the seed's "every 6–7 working days" (due from the 6th)."""
    lost_contact_every_days: int | None = Field(default=None, ge=1)
    """The same in calendar days (e.g. Regulation F's week), instead of working days."""
    related_contact_every_working_days: int | None = Field(default=None, ge=1, le=60)
    """While the debtor cannot be reached (the third-party gate open, or no gate), a case
    whose related contacts (third parties) were not attempted for this many working days is
    due (the seed's "related accounts every 2–3 working days": due by the 3rd); None: never."""
    plan_min_contacts: int = Field(default=6, ge=0)
    """The contact plan: each debtor contacted at least this often per cycle (a month)."""
    strategy_change_after_failures: int = Field(default=3, ge=1)
    """The contact plan: this many failed contacts in a row (or a broken promise) and the
    case's strategy must change; the team lead is told."""

    @model_validator(mode="before")
    @classmethod
    def _one_lost_contact(cls, data: object) -> object:
        if not isinstance(data, dict) or "lost_contact_every_days" not in data:
            return data
        if "lost_contact_every_working_days" in data:
            both = N_("lost_contact_every_working_days 与 lost_contact_every_days 只能写一个")
            raise SaidError(both)
        # calendar days asked for: the working-day default does not apply
        return {**data, "lost_contact_every_working_days": None}

    @model_validator(mode="after")
    def _some_lost_contact(self) -> Scheduling:
        if self.lost_contact_every_days is None and self.lost_contact_every_working_days is None:
            raise SaidError(_ONE_LOST_CONTACT)
        return self

    @field_validator("retry_slots", mode="before")
    @classmethod
    def _parse_slots(cls, value: object) -> object:
        if not isinstance(value, list | tuple):
            return value
        slots = []
        for text in value:
            if not isinstance(text, str) or text.count("-") != 1:
                raise SaidError(_SLOT_FORM, slot=repr(text))
            try:
                start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
            except ValueError as exc:
                raise SaidError(_SLOT_FORM, slot=repr(text)) from exc
            if start >= end:
                raise SaidError(N_("%(slot)s：时段的开始必须早于结束"), slot=repr(text))
            slots.append((start, end))
        if slots != sorted(slots) or any(a[1] > b[0] for a, b in itertools.pairwise(slots)):
            raise SaidError(N_("时段必须按先后排列，且不能重叠"))
        return tuple(slots)


class ProfileFile(_Spec):
    """One TOML file as written."""

    id: str = Field(min_length=1)
    version: str = Field(min_length=1)
    title: str = ""
    extends: str | None = None
    """The parent profile's name (``cn-law``)."""
    clock: Literal["centre", "callee"] = "centre"
    timezone: str = "Asia/Shanghai"
    rules: tuple[RuleSpec, ...] = ()
    calendar: tuple[CalendarYear, ...] = ()
    scheduling: Scheduling | None = None

    @field_validator("extends")
    @classmethod
    def _a_name(cls, value: str | None) -> str | None:
        # Never a path: an edited profile must not make the server open a file outside the
        # policy folders (and echo what it found there).
        if value is not None and not PROFILE_NAME.fullmatch(value):
            raise SaidError(_NOT_A_NAME, value=repr(value))
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise SaidError(N_("未知的时区 %(zone)s"), zone=repr(value)) from exc
        return value


@dataclass(frozen=True)
class Profile:
    """A profile with its parents merged in: what the engine evaluates."""

    id: str
    version: str
    ruleset: str
    """``id@version+hash``: changes with any edit, so every attempt row can say what it saw."""
    clock: Literal["centre", "callee"]
    timezone: str
    rules: tuple[RuleSpec, ...]
    calendar: dict[int, CalendarYear]
    scheduling: Scheduling
    files: tuple[str, ...]

    def lookback(self) -> timedelta:
        """How far back the rules look: the attempt history a decision must be given."""
        spans = [timedelta(days=1)]
        for rule in self.rules:
            if isinstance(rule, CapRule) and rule.rolling_days:
                spans.append(timedelta(days=rule.rolling_days))
            elif isinstance(rule, MinIntervalRule):
                spans.append(_interval_span(rule))
            elif isinstance(rule, QuietAfterConversationRule):
                spans.append(timedelta(days=rule.days))
        if (related := self.scheduling.related_contact_every_working_days) is not None:
            spans.append(working_days_span(related))  # the last related attempt must be seen
        # a calendar day in the furthest time zone can start up to 26 h before now
        return max(spans) + timedelta(days=1)


def _interval_span(rule: MinIntervalRule) -> timedelta:
    """How far back a ``min_interval`` must see: N working days span at most a week per five
    of them plus the longest run of days off."""
    if rule.hours is not None:
        return timedelta(hours=rule.hours)
    assert rule.working_days is not None
    return working_days_span(rule.working_days)


def working_days_span(n: int) -> timedelta:
    """At most how long ``n`` working days take: a week per five of them plus the longest run
    of days off."""
    return timedelta(days=7 * math.ceil(n / 5) + LONGEST_DAYS_OFF)


def shipped_profiles_dir() -> Path:
    return Path(str(resources.files("config").joinpath("policy")))


def load_profile(
    name_or_path: str | Path, search: tuple[Path, ...] = (), calendars: Path | None = None
) -> Profile:
    """Load a profile by name (from ``search`` then the shipped ones) or by path.

    ``calendars``: the admins' folder of years added with ``callwarden calendar add``
    (``cn-YYYY.toml``); a year the profile's own ``[[calendar]]`` lists wins over it."""
    chain: list[tuple[Path, ProfileFile, bytes]] = []
    ref: str | Path | None = name_or_path
    while ref is not None:
        # A parent is looked up in the admins' folders first (an edited cn-law applies to the
        # shipped cn-default too), then beside the child, then among the shipped profiles.
        beside = (chain[-1][0].parent,) if chain else ()
        path = _locate(ref, (*search, *beside, shipped_profiles_dir()))
        if any(p == path for p, _, _ in chain):
            through = " → ".join(str(p) for p, _, _ in chain)
            raise ProfileError([at(str(path), said(_EXTENDS_ITSELF, through=through))])
        raw = path.read_bytes()
        spec = parse_profile(path, raw)
        chain.append((path, spec, raw))
        ref = spec.extends
    return _merge(list(reversed(chain)), _added_years(calendars))


def _added_years(folder: Path | None) -> list[tuple[bytes, CalendarYear]]:
    if folder is None or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("cn-*.toml")):
        raw = path.read_bytes()
        found.append((raw, parse_year(path, raw)))
    return found


def _locate(ref: str | Path, dirs: tuple[Path, ...]) -> Path:
    found = locate_toml(ref, tuple(dict.fromkeys(dirs)), "profile")
    if not isinstance(found, Path):
        raise ProfileError([found])
    return found


def parse_profile(path: Path, raw: bytes) -> ProfileFile:
    """Validate one file; every problem names the file and the key."""
    data = read_policy_toml(path, raw)
    try:
        return ProfileFile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError([_describe(path, data, err) for err in faults(exc.errors())]) from exc


def _describe(path: Path, data: dict[str, Any], err: Any) -> Said:
    loc = list(err["loc"])
    parts: list[str] = []
    if len(loc) >= 2 and loc[0] in ("rules", "calendar") and isinstance(loc[1], int):
        section, index = loc[0], loc[1]
        entry = data.get(section, [])[index] if index < len(data.get(section, [])) else {}
        label = entry.get("id") or entry.get("year") if isinstance(entry, dict) else None
        parts.append(f"{section}[{index}]" + (f" ({label})" if label else ""))
        loc = loc[2:]
        if section == "rules" and loc and isinstance(entry, dict) and loc[0] == entry.get("kind"):
            loc = loc[1:]  # pydantic puts the discriminator value in the path
    parts.extend(str(p) for p in loc)
    return refused_at(str(path), parts, err)


def _merge(
    chain: list[tuple[Path, ProfileFile, bytes]], added: list[tuple[bytes, CalendarYear]]
) -> Profile:
    """Parents first: rules accumulate, calendar years and scheduling are overridden by children.
    Added years come first, so a profile's own ``[[calendar]]`` overrides them."""
    seen: dict[str, Path] = {}
    rules: list[RuleSpec] = []
    calendar: dict[int, CalendarYear] = {}
    scheduling = Scheduling()
    digest = hashlib.sha256()
    for raw, year in added:
        # in the ruleset's hash: every decision records which calendar it was made on
        digest.update(raw)
        calendar[year.year] = year
    for path, spec, raw in chain:
        digest.update(raw)
        for rule in spec.rules:
            if rule.id in seen:
                again = said(_ID_USED, id=repr(rule.id), other=str(seen[rule.id]))
                raise ProfileError([at(f"{path}: rules", again)])
            seen[rule.id] = path
            rules.append(rule)
        calendar.update({year.year: year for year in spec.calendar})
        scheduling = spec.scheduling or scheduling
    leaf = chain[-1][1]
    return Profile(
        id=leaf.id,
        version=leaf.version,
        ruleset=f"{leaf.id}@{leaf.version}+{digest.hexdigest()[:8]}",
        clock=leaf.clock,
        timezone=leaf.timezone,
        rules=tuple(rules),
        calendar=calendar,
        scheduling=scheduling,
        files=tuple(str(path) for path, _, _ in chain),
    )
