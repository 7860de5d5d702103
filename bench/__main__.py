"""``make bench``: run every benchmark and print ratios; results also go to var/bench/."""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from bench import import_memory


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    machine = f"{platform.node()} {platform.machine()} {platform.processor() or ''}".strip()
    results = {"machine": machine}
    imported = import_memory.run(large_mb=5 if args.quick else 200)
    print(import_memory.report(imported))
    results["import"] = imported  # type: ignore[assignment]
    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
