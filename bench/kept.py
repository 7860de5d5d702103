"""The kept schedule under load: agents' worklist pages served from the kept rows, side by
side with the page as it was (every agent's schedule rebuilt from the whole book on each
load), on one generated book.

Per backend, in child processes (each one's peak RSS is its own): the book imported with a
day of attempts on a tenth of its debtors (as :mod:`bench.worklists`), 50 agents, the
owner running (:mod:`bench.kept_owner`), then ``agents`` agents loading their pages at
once, ``rounds`` times; ten outcomes each timed to the agent's next worklist; and the
rebuilt page, ``baseline`` agents at once (each load holds a whole book: at a million
numbers, 50 at once would need about 30 GB). Reported: p50/p95/max page latency, how often
a page was computed rather than read, outcome visibility, the owner's passes and every
process's peak RSS.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.casegen import case_rows, write
from bench.child import run_child
from bench.scratch import postgres_database

AGENTS = 50


def run(cases: int, postgres_url: str | None, baseline: int, rounds: int = 5) -> dict[str, Any]:
    results: dict[str, Any] = {"cases": cases}
    args = (str(AGENTS), str(baseline), str(rounds))
    with tempfile.TemporaryDirectory(prefix="cw-bench-kept-") as tmp:
        csv = Path(tmp) / "cases.csv"
        write(csv, case_rows(cases), "utf-8", chinese=False)
        results["sqlite"] = _said(
            run_child("bench.kept_child", f"sqlite:///{tmp}/book.db", str(csv), *args)
        )
        if postgres_url:
            with postgres_database(postgres_url) as url:
                results["postgresql"] = _said(run_child("bench.kept_child", url, str(csv), *args))
    return results


def _said(result: dict[str, Any]) -> dict[str, Any]:
    """Each backend's figures as soon as they are in (a million numbers take a while)."""
    print(json.dumps(result), file=sys.stderr, flush=True)
    return result


def _ms(r: dict[str, Any]) -> str:
    p50, p95, top = (r[key] * 1000 for key in ("p50", "p95", "max"))
    return f"p50 {p50:,.0f} ms, p95 {p95:,.0f} ms, max {top:,.0f} ms"


def report(results: dict[str, Any]) -> str:
    lines = [f"kept schedule, {results['cases']:,} cases:"]
    for backend in ("sqlite", "postgresql"):
        r = results.get(backend)
        if r is None:
            continue
        kept, rebuilt, owner = r["kept"], r["rebuilt"], r["owner"]
        first, warm = kept["pages_kept_in_memory_first"], kept["pages_kept_in_memory"]
        seen = kept["visibility"]
        slowest = max((p["seconds"] for p in owner["passes"][1:]), default=0.0)
        lines += [
            f"  {backend}: {r['entries']:,} kept rows, first build {r['first_build_s']:.1f} s",
            f"    page, kept rows, {kept['agents']} agents at once × {kept['rounds']}: "
            f"{_ms(kept['pages'])}; computed instead {kept['pages']['computed']}; "
            f"readers' peak RSS {kept['peak_rss_kib'] / 1024:,.0f} MiB",
            f"    page, kept in the console's memory: first load {_ms(first)}; reloaded, "
            f"nothing changed, × {kept['rounds']}: {_ms(warm)}; p95 ratio to the kept rows "
            f"{kept['pages']['p95'] / warm['p95']:,.1f}×",
            f"    page, rebuilt per load, {rebuilt['agents']} at once: {_ms(rebuilt['pages'])}; "
            f"peak RSS {rebuilt['peak_rss_kib'] / 1024:,.0f} MiB; "
            f"p95 ratio {rebuilt['pages']['p95'] / kept['pages']['p95']:,.0f}×",
            f"    reserved → the next page shows it: {_trial(seen['reserved'])}",
            f"    answered → the next page shows it: {_trial(seen['ended'])}",
            f"    owner: {len(owner['passes'])} passes (slowest after the first "
            f"{slowest:.2f} s), peak RSS {owner['peak_rss_kib'] / 1024:,.0f} MiB",
        ]
    return "\n".join(lines)


def _trial(r: dict[str, Any]) -> str:
    if "p50" not in r:
        return f"none seen ({r['lost']} lost)"
    return f"{_ms(r)} over {r['loads']} ({r['lost']} not within 30 s)"
