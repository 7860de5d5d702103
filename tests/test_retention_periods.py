"""Retention periods load as data: the shipped file, an admin's copy first, and every fault
(a period under card regulation's two years, an unknown key, a wrong type) named by file
and key, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import RetentionError
from compliance.retention import MIN_DAYS, Kind, load_periods, parse_periods
from compliance.retention.periods import MAX_DAYS


def test_the_shipped_periods_load_and_keep_at_least_two_years() -> None:
    periods = load_periods()
    for kind in Kind:
        assert periods.period(None, kind)[0] >= MIN_DAYS
    assert periods.source.endswith("config/retention/retention.toml")


def test_the_admins_copy_comes_before_the_shipped_one(tmp_path: Path) -> None:
    (tmp_path / "retention.toml").write_text(
        "[default]\nrecordings_days = 800\ntranscripts_days = 800\nnotes_days = 900\n"
        "attempts_days = 1000\n[bank.cmb]\nrecordings_days = 2000\n",
        encoding="utf-8",
    )
    periods = load_periods((tmp_path,))
    assert periods.source == str(tmp_path / "retention.toml")
    assert periods.period("cmb", Kind.RECORDING) == (2000, "bank.cmb.recordings_days = 2000")
    assert periods.period("cmb", Kind.ATTEMPT) == (1000, "default.attempts_days = 1000")


def test_a_period_under_two_years_is_refused_naming_the_file_and_key() -> None:
    raw = (
        b"[default]\nrecordings_days = 1095\ntranscripts_days = 1095\nnotes_days = 1825\n"
        b"attempts_days = 1825\n[bank.cmb]\nnotes_days = 365\n"
    )
    with pytest.raises(RetentionError) as caught:
        parse_periods("var/retention/retention.toml", raw)
    assert caught.value.problems == [
        "var/retention/retention.toml: bank.cmb.notes_days: 365 days is shorter than the 731 "
        "days (2 years) card regulation keeps collection records"
    ]


def test_every_fault_is_reported_at_once() -> None:
    raw = (
        b'[default]\nrecordings_days = "3y"\ntranscripts_days = true\nnotes_days = 1825\n'
        b"[bank.cmb]\nrecording_days = 2000\n[extra]\n"
    )
    with pytest.raises(RetentionError) as caught:
        parse_periods("r.toml", raw)
    assert caught.value.problems == [
        "r.toml: extra: unknown key (expected default, bank)",
        "r.toml: default.recordings_days: expected a whole number of days",
        "r.toml: default.transcripts_days: expected a whole number of days",
        "r.toml: default.attempts_days: missing",
        "r.toml: bank.cmb.recording_days: unknown key (expected recordings_days, "
        "transcripts_days, notes_days, attempts_days)",
    ]


def test_not_toml_is_refused_naming_the_file() -> None:
    with pytest.raises(RetentionError, match=r"^r\.toml: not valid UTF-8 TOML"):
        parse_periods("r.toml", b"[default\n")


def test_a_period_too_long_for_a_date_is_refused_naming_the_file_and_key() -> None:
    # A "keep forever" written as a huge number once crashed the run (OverflowError, exit 5).
    raw = (
        b"[default]\nrecordings_days = 99999999999999999999\ntranscripts_days = 1095\n"
        b"notes_days = 1825\nattempts_days = 1825\n[bank.cmb]\nnotes_days = 9999999999\n"
    )
    with pytest.raises(RetentionError) as caught:
        parse_periods("r.toml", raw)
    assert caught.value.problems == [
        f"r.toml: default.recordings_days: 99999999999999999999 days is longer than the "
        f"{MAX_DAYS} days a period may be",
        f"r.toml: bank.cmb.notes_days: 9999999999 days is longer than the {MAX_DAYS} days "
        "a period may be",
    ]


def test_an_admins_copy_that_is_not_a_file_is_refused_not_passed_over(tmp_path: Path) -> None:
    """A folder (or anything else) where the admins' file should be must not silently
    hand the centre the shipped periods instead of its own."""
    (tmp_path / "retention.toml").mkdir()
    with pytest.raises(RetentionError, match=r"retention\.toml: not a file"):
        load_periods(search=(tmp_path,))
