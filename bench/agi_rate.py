"""FastAGI server: sessions per second and command turnaround on loopback.

A fake Asterisk opens ``sessions`` connections (``concurrency`` at a time),
sends a real environment block (the golden transcript's), answers each
command with the real reply, and times how long our server takes to send
the next command after a reply (its turnaround: parse, handler, format).
Baseline in the same run: a bare asyncio server that reads the same lines
and writes the same commands with no codec and no handler.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from pathlib import Path
from typing import Any

from dialer.agi import AgiServer, AgiSession

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "agi" / "selftest.txt"


def _golden() -> tuple[bytes, dict[str, bytes]]:
    env: list[str] = []
    replies: dict[str, list[str]] = {}
    current = None
    for raw in GOLDEN.read_text(encoding="utf-8").splitlines():
        direction, line = raw[:1], raw[2:]
        if direction == ">":
            current = line
            replies[current] = []
        elif current is not None:
            replies[current].append(line)
        else:
            env.append(line)
    return (
        "".join(f"{line}\n" for line in env).encode(),
        {k: "".join(f"{x}\n" for x in v).encode() for k, v in replies.items()},
    )


async def _gate(session: AgiSession) -> None:
    await session.get_variable("CW_ATTEMPT")
    await session.set_variable("CW_DECISION", "allow")
    await session.set_variable("CW_REC", "/callwarden/demo/spool/monitor/attempt-1")
    await session.set_variable("CW_AGENT", "PJSIP/a01@simnet")


async def _bare(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while (await reader.readline()) not in (b"\n", b""):
        pass
    for command in (
        b'GET VARIABLE "CW_ATTEMPT"\n',
        b'SET VARIABLE "CW_DECISION" "allow"\n',
        b'SET VARIABLE "CW_REC" "/callwarden/demo/spool/monitor/attempt-1"\n',
        b'SET VARIABLE "CW_AGENT" "PJSIP/a01@simnet"\n',
    ):
        writer.write(command)
        await writer.drain()
        await reader.readline()
    writer.close()


async def _asterisk(
    port: int, env: bytes, replies: dict[str, bytes], turnarounds: list[float]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(env)
    await writer.drain()
    sent = time.perf_counter()
    while line := await reader.readline():
        turnarounds.append(time.perf_counter() - sent)
        command = line.decode().rstrip("\n")
        reply = replies.get(command, b"200 result=1\n")
        writer.write(reply)
        await writer.drain()
        sent = time.perf_counter()
    writer.close()


def _serve(ours: bool, ports: Any) -> None:
    """The server under test, in its own process (as it runs beside Asterisk)."""

    async def main() -> None:
        if ours:
            server = AgiServer({"selftest": _gate})
            ports.put(await server.start())
        else:
            bare = await asyncio.start_server(_bare, "127.0.0.1", 0)
            ports.put(int(bare.sockets[0].getsockname()[1]))
        await asyncio.Event().wait()

    asyncio.run(main())


async def _load(port: int, sessions: int, concurrency: int) -> dict[str, float]:
    env, replies = _golden()
    turnarounds: list[float] = []
    limit = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with limit:
            await _asterisk(port, env, replies, turnarounds)

    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(sessions)))
    elapsed = time.perf_counter() - start
    cuts = statistics.quantiles(turnarounds, n=100)
    return {
        "sessions_per_s": sessions / elapsed,
        "p50_ms": cuts[49] * 1000,
        "p99_ms": cuts[98] * 1000,
    }


def _measure(ours: bool, sessions: int, concurrency: int) -> dict[str, float]:
    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(ours, ports), daemon=True)
    server.start()
    try:
        return asyncio.run(_load(ports.get(timeout=10), sessions, concurrency))
    finally:
        server.terminate()
        server.join()


def run(sessions: int) -> dict[str, Any]:
    """Throughput with 200 sessions at a time; turnaround with 10 (a busy PBX, not a flood)."""
    result: dict[str, Any] = {"sessions": sessions}
    for side, ours in (("ours", True), ("bare", False)):
        flood = _measure(ours, sessions, 200)
        steady = _measure(ours, sessions // 2, 10)
        result[side] = {
            "sessions_per_s": flood["sessions_per_s"],
            "p50_ms": steady["p50_ms"],
            "p99_ms": steady["p99_ms"],
            "p99_ms_at_200": flood["p99_ms"],
        }
    result["ours_vs_bare"] = round(
        result["ours"]["sessions_per_s"] / result["bare"]["sessions_per_s"], 3
    )
    return result


def report(result: dict[str, Any]) -> str:
    rows = [f"FastAGI on loopback, {result['sessions']} sessions (server in its own process):"]
    for side in ("ours", "bare"):
        r = result[side]
        rows.append(
            f"  {side:<5} {r['sessions_per_s']:8.0f} sessions/s (200 at a time); command "
            f"turnaround p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms (10 at a time), "
            f"p99 {r['p99_ms_at_200']:.1f} ms (200 at a time)"
        )
    rows.append(f"  ours = {result['ours_vs_bare']}× the bare asyncio server")
    return "\n".join(rows)
