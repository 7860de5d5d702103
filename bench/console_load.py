"""The console under load: many users at once while an import and a campaign write.

For each backend: a fresh database with a console's worth of data
(:mod:`bench.console_seed`), ``callwarden serve`` on loopback in its own process, an
importer and a campaign-like writer in theirs (:mod:`bench.console_writers`), and
locust driving ``users`` concurrent console users (:mod:`bench.console_locust`) for
``seconds``. Reported: requests/s, p50/p95/p99 latency and errors (HTTP errors, failed
logins, and any writer or server that died), which must be 0.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.casegen import case_rows, write
from bench.console_seed import PASSWORD, seed
from bench.scratch import postgres_database
from config import Settings, VarPaths
from config.settings import DatabaseSettings, PathSettings
from console.app import build_app
from store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "console_locust.py"
IMPORT_ROWS = 3000


def run(seconds: int, users: int, postgres_url: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cw-bench-console-") as folder:
        work = Path(folder)
        results["sqlite"] = _backend(
            work / "sqlite", f"sqlite:///{work}/sqlite/cw.db", seconds, users
        )
        if postgres_url:
            with postgres_database(postgres_url) as url:
                results["postgresql"] = _backend(work / "postgresql", url, seconds, users)
    return results


def _backend(work: Path, url: str, seconds: int, users: int) -> dict[str, Any]:
    work.mkdir(parents=True)
    settings = Settings(
        database=DatabaseSettings(url=url), paths=PathSettings(var_dir=work / "var")
    )
    app = build_app(settings)
    upgrade(app.engine)
    agents, qa, admins = users * 6 // 10, users * 3 // 10, max(1, users // 10)
    named = seed(app, agents, qa, admins, open_notes=400)
    app.engine.dispose()
    files = []
    for n in range(2):  # two files that share half their debtors
        path = work / f"import-{n}.csv"
        write(
            path,
            iter(list(case_rows((n + 2) * IMPORT_ROWS // 2))[n * IMPORT_ROWS // 2 :]),
            "utf-8",
            chinese=False,
        )
        files.append(str(path))
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CALLWARDEN_DATABASE_URL": url,
        "CALLWARDEN_PATHS_VAR_DIR": str(work / "var"),
        "CW_BENCH_PASSWORD": PASSWORD,
        "CW_BENCH_AGENTS": ",".join(named.agents),
        "CW_BENCH_QA": ",".join(named.qa),
        "CW_BENCH_ADMINS": ",".join(named.admins),
    }
    port = _free_port()
    python = sys.executable
    with _process(
        [python, "-m", "console.cli", "serve", "--port", str(port)], env, work / "serve.log"
    ) as server:
        _wait_for_port(port, server)
        with (
            _process(
                [python, "-m", "bench.console_writers", "import", url, *files],
                env,
                work / "import.log",
            ) as importer,
            _process(
                [python, "-m", "bench.console_writers", "campaign", url], env, work / "campaign.log"
            ) as campaign,
        ):
            locust = subprocess.run(
                [
                    python,
                    "-m",
                    "locust",
                    "-f",
                    str(LOCUSTFILE),
                    "--headless",
                    "-u",
                    str(users),
                    "-r",
                    str(max(1, users // 5)),
                    "-t",
                    f"{seconds}s",
                    "--host",
                    f"http://127.0.0.1:{port}",
                    "--csv",
                    str(work / "locust"),
                    "--only-summary",
                    "--stop-timeout",
                    "10",
                    "--exit-code-on-error",
                    "0",
                ],
                env=env,
                cwd=work,
                capture_output=True,
                text=True,
                check=False,
            )
            writers = {"import": importer, "campaign": campaign}
        alive = server.poll() is None
    result = _locust_stats(work / "locust_stats.csv")
    result["writers"] = {k: _writer_result(p, work / f"{k}.log") for k, p in writers.items()}
    writer_errors = sum(1 for w in result["writers"].values() if w.get("failed"))
    result["errors"] = result["failures"] + writer_errors + (0 if alive else 1)
    result["seconds"] = seconds
    result["users"] = users
    if result["errors"]:
        result["failure_detail"] = [*_failures(work / "locust_failures.csv"), locust.stderr[-2000:]]
        result["serve_log"] = (work / "serve.log").read_text(errors="replace")[-3000:]
    return result


@contextmanager
def _process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    with log.open("w") as out:
        proc = subprocess.Popen(
            argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for_port(port: int, server: subprocess.Popen[str]) -> None:
    for _ in range(600):
        if server.poll() is not None:
            raise RuntimeError("callwarden serve exited before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("callwarden serve did not listen within 60 s")


def _locust_stats(path: Path) -> dict[str, Any]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    return {
        "requests": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "p99_ms": float(total["99%"]),
        "by_request": {
            r["Type"] + " " + r["Name"]: {
                "count": int(r["Request Count"]),
                "p95_ms": float(r["95%"]),
            }
            for r in rows
            if r["Name"] != "Aggregated"
        },
    }


def _failures(path: Path) -> list[str]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return [
            f"{r['Method']} {r['Name']}: {r['Error']} × {r['Occurrences']}"
            for r in csv.DictReader(handle)
        ]


def _writer_result(proc: subprocess.Popen[str], log: Path) -> dict[str, Any]:
    text = log.read_text(errors="replace").strip()
    last = text.splitlines()[-1] if text else ""
    if proc.returncode == 0 and last.startswith("{"):
        counts: dict[str, Any] = json.loads(last)
        return counts
    return {"failed": True, "returncode": proc.returncode, "log": text[-2000:]}


def report(results: dict[str, Any]) -> str:
    lines = ["console under load (locust; an import and a campaign writing meanwhile):"]
    for backend, r in results.items():
        lines.append(
            f"  {backend:<10} {r['users']} users × {r['seconds']} s: {r['requests']:,} requests, "
            f"{r['rps']:.1f}/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms, "
            f"p99 {r['p99_ms']:.0f} ms, {r['errors']} error(s); writers {r['writers']}"
        )
        for detail in r.get("failure_detail", []):
            lines.append(f"    {detail}")
    return "\n".join(lines)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="bench.console_load")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    pg = None if args.no_postgres else os.environ.get("CALLWARDEN_TEST_POSTGRES_URL")
    out = run(args.seconds, args.users, pg)
    print(report(out))
    target = VarPaths(ROOT / "var").bench
    target.mkdir(parents=True, exist_ok=True)
    (target / "console_load.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
