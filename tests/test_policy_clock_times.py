"""A window's start and end are times of day on the profile's clock. A number (``start = 8``)
or a time with an offset is refused at load, naming the key: the validation library would
take 8 as eight seconds past midnight UTC, and comparing it with a time of day raised a
TypeError (a 500 on the admin's editor)."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import ProfileError
from compliance.policy import load_profile
from tests.helpers import english

RULE = '[[rules]]\nid = "w"\nlayer = "company"\nsource = "s"\nkind = "window"\n'


def _load(tmp_path: Path, start: str, end: str = '"20:00"') -> object:
    path = tmp_path / "p.toml"
    text = f'id = "p"\nversion = "1"\n{RULE}start = {start}\nend = {end}\n'
    path.write_text(text, encoding="utf-8")
    return load_profile(path)


@pytest.mark.parametrize("start", ["8", "8.5", "true", '"08:00+08:00"', '"8"'])
def test_a_start_that_is_not_a_time_of_day_is_refused(tmp_path: Path, start: str) -> None:
    with pytest.raises(ProfileError) as caught:
        _load(tmp_path, start)
    problems = english(caught.value)
    assert problems == [f"{tmp_path / 'p.toml'}: rules[0] (w).start: must be a time of day (HH:MM)"]


@pytest.mark.parametrize("start", ['"08:00"', "08:00:00", '"08:00:00"'])
def test_a_time_of_day_is_taken(tmp_path: Path, start: str) -> None:
    assert _load(tmp_path, start)
