"""Child process of the import benchmark: import one file into a fresh SQLite, print JSON."""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from store.case_import import import_cases
from store.db import make_engine, make_session_factory
from store.migrate import upgrade


def main() -> None:
    source, database = Path(sys.argv[1]), Path(sys.argv[2])
    engine = make_engine(f"sqlite:///{database}")
    upgrade(engine)
    started = time.perf_counter()
    report = import_cases(source, make_session_factory(engine), "bench")
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "rows": report.rows,
                "seconds": seconds,
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


if __name__ == "__main__":
    main()
