"""The console server's start-up heap is frozen out of the garbage collector before it serves:
the detector's pinyin tables alone are some 400,000 objects, and every full collection during
a page load walked all of them (issue 17: the kept schedule's page under load)."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from console.web import server, uvicorn_server
from tests.webclient import FakeDialer
from tests.webdata import console_app


def test_serve_freezes_the_start_up_heap(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = console_app(db_url, tmp_path / "var")
    frozen_when_serving: list[int] = []
    monkeypatch.setattr(
        uvicorn_server,
        "run_until_stopped",
        lambda _server: frozen_when_serving.append(gc.get_freeze_count()),
    )
    gc.unfreeze()
    try:
        server.serve(app, "127.0.0.1", 0, FakeDialer(app))
    finally:
        gc.unfreeze()
        app.engine.dispose()
    assert len(frozen_when_serving) == 1
    assert frozen_when_serving[0] > 100_000  # the pinyin tables are in it
