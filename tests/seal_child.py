"""``callwarden keys encrypt-archive`` that SIGKILLs itself at a chosen step of a chosen file.

``python -m tests.seal_child POINT N`` (settings from the environment) dies with SIGKILL the
N-th time it reaches POINT:

- ``key-written``: the data key is beside the clear file, the sealed copy not yet written;
- ``sealed``: the sealed copy is written and proven, the rows still point at the clear file;
- ``pointed``: the rows point at the sealed copy, the clear file is not yet removed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import recorder.archive
import recorder.seal_archive
from console.cli import main

POINTS = {
    "key-written": (recorder.archive, "seal_file"),
    "sealed": (recorder.seal_archive, "_point_rows_at"),
    "pointed": (recorder.seal_archive, "_remove_clear"),
}


def _dying_at(nth: int, real: Callable[..., Any]) -> Callable[..., Any]:
    calls = 0

    def step(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == nth:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, **kwargs)

    return step


if __name__ == "__main__":
    module, name = POINTS[sys.argv[1]]
    setattr(module, name, _dying_at(int(sys.argv[2]), getattr(module, name)))
    sys.exit(main(["keys", "encrypt-archive", "--actor", "test"]))
