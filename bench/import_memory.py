"""Case import: does peak memory stay flat as the file grows to 200 MB?

Imports a small file and a large one, each in its own process into a fresh
SQLite database, and reports rows/s and the ratio of peak resident memory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.casegen import case_rows, write
from bench.child import run_child

BYTES_PER_ROW = 165  # measured on the generator's output; used to aim at a file size


def _run(source: Path, workdir: Path) -> dict[str, Any]:
    result = run_child("bench.import_child", str(source), str(workdir / f"{source.stem}.db"))
    result["file_mb"] = source.stat().st_size / 1e6
    return result


def run(large_mb: float = 200.0, small_rows: int = 2_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cw-bench-import-") as tmp:
        work = Path(tmp)
        small, large = work / "small.csv", work / "large.csv"
        write(small, case_rows(small_rows), "utf-8", chinese=False)
        write(large, case_rows(int(large_mb * 1e6 / BYTES_PER_ROW)), "utf-8", chinese=False)
        results = {"small": _run(small, work), "large": _run(large, work)}
    results["rss_ratio_large_vs_small"] = (
        results["large"]["peak_rss_kib"] / results["small"]["peak_rss_kib"]
    )
    return results


def report(results: dict[str, Any]) -> str:
    lines = ["case import (SQLite, one process per file):"]
    for name in ("small", "large"):
        r = results[name]
        lines.append(
            f"  {name:<5} {r['file_mb']:8.1f} MB {r['rows']:>9,} rows "
            f"{r['rows'] / r['seconds']:>8,.0f} rows/s  "
            f"peak RSS {r['peak_rss_kib'] / 1024:6.1f} MiB"
        )
    lines.append(f"  peak RSS large/small: {results['rss_ratio_large_vs_small']:.2f}x")
    return "\n".join(lines)
