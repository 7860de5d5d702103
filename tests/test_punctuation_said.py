"""The console's own punctuation and units follow the reader's language: a Chinese page has
no ASCII ", " or " s" of ours, an English one no full-width brackets of ours (issue 20)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_i18n_pages import CALLS, _as
from tests.webdata import Seed, console_app, seed_console


@pytest.fixture
def seed(db_url: str, tmp_path: Path) -> Iterator[Seed]:
    app = console_app(db_url, tmp_path / "var")
    yield seed_console(app, CALLS, agent_calls=1)
    app.engine.dispose()


@pytest.mark.parametrize(
    ("locale", "said", "not_said"),
    [
        ("zh_CN", ("秒 ·", "（T1）"), (" s ·", "(T1)")),
        ("en", (" s ·", "(T1)"), ("秒", "（T1）")),
    ],
)
def test_units_and_brackets_follow_the_reader(
    seed: Seed, locale: str, said: tuple[str, str], not_said: tuple[str, str]
) -> None:
    qa, _ = _as(seed, "qa1", locale)
    call = qa.get(f"/qa/calls/{seed.recordings['cw07']}").text
    lead, _ = _as(seed, "sup1", locale)
    progress = lead.get("/team/progress").text
    assert said[0] in call and not_said[0] not in call, call[-2000:]
    assert said[1] in progress and not_said[1] not in progress, progress[-2000:]
