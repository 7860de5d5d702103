"""``make bench``: run every benchmark and print rates and ratios; results go to var/bench/.

``--quick`` runs small sizes (a smoke run); the default sizes are the issues' targets:
a 200 MB case file, 200,000 pure decisions, 1,000,000 numbers in worklists (built, and
kept: 50 agents' pages at once, an outcome to the next page; ``--kept-cases`` sizes it), the
held-out test split of the evaluation set under clean, mild and bad telephone lines, and 50
console users for 60 s (``--console-seconds`` shortens it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

from bench import (
    agi_rate,
    console_load,
    eval_conditions,
    import_memory,
    kept,
    originate_rate,
    pipeline_rate,
    policy_rate,
    scan_rate,
    worklists,
)
from config import VarPaths

ALL = [
    *("import", "policy", "worklists", "kept", "scan"),
    *("pipeline", "eval", "agi", "originate", "console"),
]


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", choices=ALL, action="append")
    parser.add_argument(
        "--console-seconds", type=int, help="how long the console load runs (default 60, quick 10)"
    )
    parser.add_argument(
        "--kept-cases",
        type=int,
        help="cases in the kept-schedule book (default 280,000, about 1M numbers; quick 2,000)",
    )
    args = parser.parse_args()
    only = set(args.only or ALL)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}"
    results: dict[str, Any] = {"machine": machine, "quick": args.quick}
    print(f"machine: {machine}")
    if "policy" in only:
        results["policy"] = policy_rate.run(20_000 if args.quick else 200_000)
        print(policy_rate.report(results["policy"]))
    if "worklists" in only:
        postgres = os.environ.get("CALLWARDEN_TEST_POSTGRES_URL")
        # ~3.6 numbers a case: 280,000 cases make about 1,000,000 numbers
        results["worklists"] = worklists.run(2_000 if args.quick else 280_000, postgres)
        print(worklists.report(results["worklists"]))
    if "kept" in only:
        postgres = os.environ.get("CALLWARDEN_TEST_POSTGRES_URL")
        cases = args.kept_cases or (2_000 if args.quick else 280_000)
        # a rebuilt page holds a whole book: 50 at once fit in memory only on small books
        results["kept"] = kept.run(cases, postgres, baseline=50 if cases <= 20_000 else 8)
        print(kept.report(results["kept"]))
    if "import" in only:
        results["import"] = import_memory.run(large_mb=5 if args.quick else 200)
        print(import_memory.report(results["import"]))
    if "scan" in only:
        results["scan"] = scan_rate.run(20_000 if args.quick else 1_000_000)
        print(scan_rate.report(results["scan"]))
    if "pipeline" in only:
        results["pipeline"] = pipeline_rate.run(4 if args.quick else 54, Path("var"))
        print(pipeline_rate.report(results["pipeline"]))
    if "eval" in only:
        results["eval"] = eval_conditions.run(6 if args.quick else None)
        print(eval_conditions.report(results["eval"]))
    if "agi" in only:
        results["agi"] = agi_rate.run(1000 if args.quick else 10_000)
        print(agi_rate.report(results["agi"]))
    if "originate" in only:
        results["originate"] = originate_rate.run()
        print(originate_rate.report(results["originate"]))
    if "console" in only:
        seconds = args.console_seconds or (10 if args.quick else 60)
        postgres = os.environ.get("CALLWARDEN_TEST_POSTGRES_URL")
        results["console"] = console_load.run(seconds, 50, postgres)
        print(console_load.report(results["console"]))
    out = VarPaths(Path("var")).bench
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
