"""Why an admin's file is not TOML, in words and at the line the fault is on: the parser's
common faults each have the reader's words; none leaves its English on the page."""

from __future__ import annotations

from pathlib import Path

import pytest

from compliance.files import TomlUnreadable, read_toml
from tests.helpers import english

PATH = Path("p.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('a = 1\nx = "abc\n', "p.toml:2: not valid TOML: a string lacks its closing quote"),
        ("a = 1\nx = 'abc\n", "p.toml:2: not valid TOML: a string lacks its closing quote"),
        ("x = 2026-13-45\n", "p.toml:1: not valid TOML: one entry per line"),
        ('x = "a\\q"\n', "p.toml:1: not valid TOML: a backslash in a string"),
        ("a = 1\nb = 2\nx = [1,", "p.toml:3: not valid TOML: the file ends inside a value"),
        ("x = abc\n", "p.toml:1: not valid TOML: an unreadable value (text must be quoted)"),
        ("a = 1\na = 2\n", "p.toml:2: not valid TOML: the same key is written twice"),
        ("[a\n", "p.toml:1: not valid TOML: a table header lacks its closing ']'"),
        ('x = "a\x01b"\n', "p.toml:1: not valid TOML: a character TOML does not allow here"),
    ],
)
def test_each_fault_is_named_in_words_at_its_line(text: str, expected: str) -> None:
    with pytest.raises(TomlUnreadable) as caught:
        read_toml(PATH, text.encode("utf-8"))
    (problem,) = english([caught.value.said])
    assert problem.startswith(expected), problem
    assert "(at " not in problem and "Expected" not in problem, problem
