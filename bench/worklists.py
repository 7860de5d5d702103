"""Building every worklist for a large book: load from the database + decide + order.

Cases are generated and imported once per backend (about 3.6 numbers a case, with
a day of attempts on a tenth of them), then the whole schedule is built at
10:30 on a working day, three times (timings on a shared machine vary). Reported:
the median and each run, numbers per second and the peak RSS of the process that
built it (its own child process), for SQLite and PostgreSQL, and
the baseline in the same process: every number made a ``NumberEntry`` and
handed to ``build_schedule`` one by one. Also reported: how many objects the finished
schedule keeps for the garbage collector to walk (the book is held as columns so that
a million numbers do not make millions).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.casegen import case_rows, write
from bench.child import run_child
from bench.scratch import postgres_database


def _child(url: str, csv: str) -> dict[str, Any]:
    return run_child("bench.worklists_child", url, csv)


def run(cases: int, postgres_url: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cw-bench-worklists-") as tmp:
        csv = Path(tmp) / "cases.csv"
        write(csv, case_rows(cases), "utf-8", chinese=False)
        results["sqlite"] = _child(f"sqlite:///{tmp}/book.db", str(csv))
        if postgres_url:
            with postgres_database(postgres_url) as url:
                results["postgresql"] = _child(url, str(csv))
    return results


def report(results: dict[str, Any]) -> str:
    lines = ["all worklists (load + decide + order), one process:"]
    for backend, r in results.items():
        lines.append(
            f"  {backend:<10} {r['numbers']:>9,} numbers in {r['seconds']:6.1f} s "
            f"(median; runs {', '.join(f'{s:.1f}' for s in r['runs'])} s) "
            f"({r['numbers'] / r['seconds']:>9,.0f}/s), {r['dialable']:,} dialable, "
            f"{r['baseline_seconds'] / r['seconds']:.2f}× faster than entry by entry "
            f"({r['baseline_seconds']:.1f} s), "
            f"peak RSS {r['peak_rss_kib'] / 1024:,.0f} MiB, "
            f"{r['tracked_objects']:,} objects kept for the collector to walk"
        )
    return "\n".join(lines)
