"""``make bench``: run every benchmark and print rates and ratios; results go to var/bench/.

``--quick`` runs small sizes (a smoke run); the default sizes are the issues' targets:
a 200 MB case file, 200,000 pure decisions, 1,000,000 numbers in worklists (built, and
kept: 50 agents' pages at once, an outcome to the next page; ``--kept-cases`` sizes it), the
held-out test split of the evaluation set under clean, mild and bad telephone lines, and 50
console users for 60 s (``--console-seconds`` shortens it), and 2,000 audit appends plus a
1,000,000-row audit chain verified, a 32 MiB recording served sealed against clear, and
10,000 recordings backed up to two restic repositories and restored.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import (
    agi_rate,
    archive_rate,
    audit_rate,
    backup_rate,
    console_load,
    eval_conditions,
    import_memory,
    kept,
    live_alerts,
    live_capacity,
    originate_rate,
    pipeline_rate,
    policy_rate,
    scan_rate,
    worklists,
)
from config import VarPaths

ALL = [
    *("import", "policy", "worklists", "kept", "scan"),
    *("pipeline", "eval", "agi", "originate", "console", "audit", "archive", "backup"),
    *("live", "live-capacity"),
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
    parser.add_argument(
        "--backup-kib",
        type=int,
        default=160,
        help="size of each recording in the backup bench (default 160: 10 s of 8 kHz mono)",
    )
    args = parser.parse_args()
    only = set(args.only or ALL)
    machine = f"{platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}"
    results: dict[str, Any] = {"machine": machine, "quick": args.quick}
    print(f"machine: {machine}")
    runners = _runners(args, os.environ.get("CALLWARDEN_TEST_POSTGRES_URL"))
    for name in ORDER:
        if name in only:
            run, report = runners[name]
            results[name] = run()
            print(report(results[name]))
    out = VarPaths(Path("var")).bench
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


ORDER = (
    *("policy", "worklists", "kept", "import", "scan", "pipeline"),
    *("eval", "agi", "originate", "audit", "archive", "backup", "console", "live", "live-capacity"),
)
"""The order the benches run in (the cheap, pure ones first)."""

Runner = tuple[Callable[[], Any], Callable[[Any], str]]


def _runners(args: argparse.Namespace, postgres: str | None) -> dict[str, Runner]:
    quick = args.quick
    kept_cases = args.kept_cases or (2_000 if quick else 280_000)
    chain = 20_000 if quick else 1_000_000
    seconds = args.console_seconds or (10 if quick else 60)
    return {
        "policy": (lambda: policy_rate.run(20_000 if quick else 200_000), policy_rate.report),
        # ~3.6 numbers a case: 280,000 cases make about 1,000,000 numbers
        "worklists": (
            lambda: worklists.run(2_000 if quick else 280_000, postgres),
            worklists.report,
        ),
        # a rebuilt page holds a whole book: 50 at once fit in memory only on small books
        "kept": (
            lambda: kept.run(kept_cases, postgres, baseline=50 if kept_cases <= 20_000 else 8),
            kept.report,
        ),
        "import": (lambda: import_memory.run(large_mb=5 if quick else 200), import_memory.report),
        "scan": (lambda: scan_rate.run(20_000 if quick else 1_000_000), scan_rate.report),
        "pipeline": (
            lambda: pipeline_rate.run(4 if quick else 54, Path("var")),
            pipeline_rate.report,
        ),
        "eval": (lambda: eval_conditions.run(6 if quick else None), eval_conditions.report),
        "agi": (lambda: agi_rate.run(1000 if quick else 10_000), agi_rate.report),
        "originate": (originate_rate.run, originate_rate.report),
        "audit": (
            lambda: audit_rate.run(200 if quick else 2_000, chain, postgres),
            audit_rate.report,
        ),
        "console": (lambda: console_load.run(seconds, 50, postgres), console_load.report),
        "archive": (lambda: archive_rate.run(4 if quick else 32), archive_rate.report),
        "live": (
            lambda: live_alerts.run((1, 2), (1, 2)) if quick else live_alerts.run(),
            live_alerts.report,
        ),
        "live-capacity": (
            lambda: live_capacity.run(2 if quick else 10),
            live_capacity.report,
        ),
        "backup": (
            lambda: backup_rate.run(
                200 if quick else 10_000,
                args.backup_kib,
                (VarPaths(Path("var")).tools / "restic").absolute(),
            ),
            backup_rate.report,
        ),
    }


if __name__ == "__main__":
    main()
