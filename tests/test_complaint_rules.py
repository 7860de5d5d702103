"""The complaint procedure's pure rules: the grade a channel implies, the due day by grade."""

from __future__ import annotations

from datetime import date

import pytest

from compliance.complaints import (
    Channel,
    ComplaintStatus,
    DueDays,
    Grade,
    derive_grade,
    due_on,
    is_overdue,
)
from config import load_settings
from config.errors import ConfigError
from store.complaint_bundle import BundleError, member

DUE = DueDays(routine=7, important=3, serious=1)


@pytest.mark.parametrize(
    ("channel", "grade"),
    [
        (Channel.PHONE, Grade.ROUTINE),
        (Channel.VISIT, Grade.ROUTINE),
        # 重要: forwarded by the bank's head office, UnionPay, the regulator, a consumer association
        (Channel.BANK_FORWARDED, Grade.IMPORTANT),
        (Channel.UNIONPAY, Grade.IMPORTANT),
        (Channel.REGULATOR, Grade.IMPORTANT),
        (Channel.CONSUMER_ASSOCIATION, Grade.IMPORTANT),
        # 严重: media coverage or a lawsuit
        (Channel.MEDIA, Grade.SERIOUS),
        (Channel.LAWSUIT, Grade.SERIOUS),
    ],
)
def test_the_grade_follows_the_channel(channel: Channel, grade: Grade) -> None:
    assert derive_grade(channel) is grade


def test_every_channel_has_a_grade() -> None:
    assert {derive_grade(c) for c in Channel} == set(Grade)


def test_the_due_day_counts_calendar_days_from_the_day_it_opened() -> None:
    opened = date(2026, 12, 31)
    assert due_on(Grade.ROUTINE, opened, DUE) == date(2027, 1, 7)
    assert due_on(Grade.IMPORTANT, opened, DUE) == date(2027, 1, 3)
    assert due_on(Grade.SERIOUS, opened, DUE) == date(2027, 1, 1)
    assert due_on(Grade.SERIOUS, opened, DueDays(7, 3, 0)) == opened  # due the same day


def test_only_an_open_complaint_past_its_day_is_overdue() -> None:
    due = date(2026, 12, 4)
    assert not is_overdue(due, due, ComplaintStatus.OPEN)
    assert is_overdue(due, date(2026, 12, 5), ComplaintStatus.OPEN)
    assert not is_overdue(due, date(2026, 12, 5), ComplaintStatus.RESOLVED)


def test_negative_due_days_are_refused() -> None:
    with pytest.raises(ValueError, match="important"):
        DueDays(7, -1, 1)


def test_the_due_days_are_typed_settings() -> None:
    found = load_settings(environ={"CALLWARDEN_COMPLAINTS_DUE_DAYS_SERIOUS": "2"})
    assert (found.complaints.due_days_routine, found.complaints.due_days_serious) == (7, 2)
    with pytest.raises(ConfigError, match="due_days_routine"):
        load_settings(environ={"CALLWARDEN_COMPLAINTS_DUE_DAYS_ROUTINE": "soon"})
    with pytest.raises(ConfigError, match="due_days_important"):
        load_settings(environ={"CALLWARDEN_COMPLAINTS_DUE_DAYS_IMPORTANT": "-3"})


@pytest.mark.parametrize(
    "parts",
    [
        ("..", "x.wav"),
        ("recordings", "a/b.wav"),
        ("recordings", ".hidden"),
        ("/etc", "passwd"),
        ("transcripts", "录音.json"),
        ("x", "a.b.c"),
        ("x", ""),
    ],
)
def test_names_inside_the_bundle_are_path_safe(parts: tuple[str, ...]) -> None:
    with pytest.raises(BundleError, match="文件名不安全"):
        member(*parts)


def test_a_safe_name_is_kept() -> None:
    assert member("recordings", "recording-3-0a1b2c.wav") == "recordings/recording-3-0a1b2c.wav"
