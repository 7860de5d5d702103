"""Detection on held-out calls under telephone conditions: the test split only.

``callwarden eval tests/fixtures/eval/test`` on the JSON transcripts and on the
audio through a clean, a mild and a bad line (``--condition``), each in its own
process: precision, recall and F1 overall and per category, the character error
rate per condition, and the wall time. The dev split (and tests/fixtures/calls)
is what the lexicon was tuned on; it is not reported here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TEST_SPLIT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "eval" / "test"
CONDITIONS = ("clean", "mild", "bad")


def run(calls: int | None = None) -> dict[str, Any]:
    """All of the test split, or its first ``calls`` calls (a smoke run)."""
    with tempfile.TemporaryDirectory(prefix="cw-eval-bench-") as scratch:
        folder = _subset(Path(scratch), calls) if calls else TEST_SPLIT
        count = len(list(folder.glob("*.json")))
        results: dict[str, Any] = {"calls": count, "split": "test"}
        results["transcripts"] = _eval(folder, ["--text-only"])
        for condition in CONDITIONS:
            results[condition] = _eval(folder, ["--condition", condition])
    return results


def _subset(scratch: Path, calls: int) -> Path:
    for label in sorted(TEST_SPLIT.glob("*.json"))[:calls]:
        for path in TEST_SPLIT.glob(f"{label.stem}.*"):
            (scratch / path.name).symlink_to(path)
    return scratch


def _eval(folder: Path, extra: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "console.cli", "eval", str(folder), "--json", *extra],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"eval {' '.join(extra)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def report(result: dict[str, Any]) -> str:
    modes = ["transcripts", *CONDITIONS]
    rows = [
        f"held-out detection, test split, {result['calls']} calls (README reports this split):",
        f"  {'condition':<12}{'precision':>10}{'recall':>8}{'f1':>7}{'CER':>7}{'wall s':>8}",
    ]
    for mode in modes:
        r = result[mode]
        cer = f"{r['cer']['cer']:7.3f}" if "cer" in r else f"{'-':>7}"
        o = r["overall"]
        rows.append(
            f"  {mode:<12}{o['precision']:>10.3f}{o['recall']:>8.3f}{o['f1']:>7.3f}"
            f"{cer}{r['wall_s']:>8.1f}"
        )
    rows.append("  what it costs people (false flags per hour: all calls / compliant calls alone;")
    rows.append("  minutes of audio per 100 calls in the listen-to-this queue):")
    for mode in modes:
        load = result[mode].get("workload", {})
        rows.append(
            f"    {mode:<12}{load.get('false_flags_per_hour', '-')} / "
            f"{load.get('compliant_false_flags_per_hour', '-')}   "
            f"{load.get('review_minutes_per_100_calls', '-')} min"
        )
    rows.append(f"  recall per category ({' / '.join(modes)}):")
    for category in sorted(result["transcripts"]["per_category"]):
        cells = []
        for mode in modes:
            c = result[mode]["per_category"][category]
            cells.append(f"{c['recall']:.2f}({c['tp']}/{c['tp'] + c['fn']}) fp{c['fp']}")
        rows.append(f"    {category:<24}" + "  ".join(cells))
    return "\n".join(rows)
