"""Where a fresh login may send the browser: only to a path on this site."""

from __future__ import annotations

import pytest

from console.web.login import _safe_next


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "/\\/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        " /qa",
        "",
        None,
    ],
)
def test_a_target_a_browser_reads_as_another_site_is_dropped(target: str | None) -> None:
    assert _safe_next(target) is None


@pytest.mark.parametrize("target", ["/qa", "/qa/calls/3?at=12.5", "/admin/policy/cn-default"])
def test_a_path_on_this_site_is_kept(target: str) -> None:
    assert _safe_next(target) == target
