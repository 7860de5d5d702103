"""A year file saved by a Windows editor (UTF-8 with a byte-order mark) is read like any other
UTF-8 file, as the case import reads such files, and kept without the mark; a file in
another encoding is still refused, naming the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.errors import ProfileError
from compliance.policy import load_profile
from compliance.policy.year_data import parse_year
from console.calendar_years import check_year
from tests.helpers import english

YEAR = """year = 2027
source = "made up for a test: 国务院办公厅通知（示例）"
[[holidays]]
name = "元旦"
first = 2027-01-01
last = 2027-01-01
"""


def test_a_byte_order_mark_is_read_and_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + YEAR.encode("utf-8"))
    assert parse_year(path, path.read_bytes()).year == 2027
    checked = check_year(path, path.read_bytes(), load_profile("cn-default"))
    assert checked.content == YEAR


def test_another_encoding_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gbk.toml"
    path.write_bytes(YEAR.encode("gbk"))
    with pytest.raises(ProfileError) as caught:
        parse_year(path, path.read_bytes())
    assert english(caught.value) == [f"{path}:1: not UTF-8 text"]
    assert str(caught.value) == f"{path}:1：不是 UTF-8 文本"  # Chinese where no reader chose
