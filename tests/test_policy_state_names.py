"""A profile naming a number state or a case status that does not exist is refused at load,
with the file, the rule and the key named: a typo in ``blocked`` (``"wrong-person"``) or a
third-party gate written in the guideline's own words (``"invalid"``, ``"suspended"``, which
no number ever has) would otherwise never block, or never open, without a word.

The names the policy knows are the store's, checked equal here.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from compliance.errors import ProfileError
from compliance.policy import load_profile
from compliance.policy.facts import CaseStatusName, NumberStateName
from store.enums import CaseStatus, NumberState
from tests.helpers import english

HEAD = 'id = "hx"\nversion = "1"\nextends = "cn-law"\n[[rules]]\nid = "bank.hx.rule"\n'
HEAD += 'layer = "bank"\nsource = "a contract"\n'


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hx.toml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ('kind = "number_state"\nblocked = ["wrong-person"]\n', "blocked.0"),
        ('kind = "case_status"\nblocked = ["paid", "payed"]\n', "blocked.1"),
        (
            'kind = "third_party_gate"\nunreachable_states = ["invalid", "suspended"]\n'
            "failed_attempts = 3\n",
            "unreachable_states.0",
        ),
    ],
)
def test_an_unknown_state_name_is_refused(tmp_path: Path, body: str, key: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert f"{path}: rules[0] (bank.hx.rule).{key}: must be one of: " in english(caught.value)[0]


def test_the_known_names_load_and_are_the_stores(tmp_path: Path) -> None:
    body = 'kind = "number_state"\nblocked = ["wrong_person", "unreachable"]\n'
    assert load_profile(write(tmp_path, body)).rules[-1].id == "bank.hx.rule"
    assert set(get_args(NumberStateName)) == {s.value for s in NumberState}
    assert set(get_args(CaseStatusName)) == {s.value for s in CaseStatus}
