"""pyst2's own threads under ``filterwarnings = error``."""

from __future__ import annotations

import threading

from asterisk.manager import Manager


def test_pyst2s_threads_survive_its_deprecated_calls() -> None:
    """pyst2 calls threading's camelCase names (``setDaemon``, ``isSet``) from the threads it
    starts, where no ``catch_warnings`` of ours reaches. With warnings as errors, its message
    loop died: the AMI link still looked up, no event ever came, and a campaign waiting for a
    hangup kept pytest from exiting."""
    manager = Manager()
    manager._receive_data = lambda: None  # type: ignore[method-assign]  # no socket here
    failures: list[Warning] = []

    def message_loop() -> None:
        try:
            manager.message_loop()
        except Warning as exc:
            failures.append(exc)

    loop = threading.Thread(target=message_loop)
    loop.start()
    loop.join()
    assert failures == []
