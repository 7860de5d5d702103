"""The audit chain's cost: an append (lock, head read, id, hash) against the plain insert the
audit log had before, side by side, each in its own transaction as the console writes them;
and ``audit verify``'s streaming rate in rows per second over a long chain.

The plain insert is the old ``record_audit``: one ORM row, no lock, no hash (its chain columns
filled with constants far from the real chain, and deleted afterwards).
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert

from bench.scratch import postgres_database
from store.audit import record_audit, verify
from store.audit_chain import CHAIN_VERSION, GENESIS, ChainRow, chain_hash
from store.db import SessionFactory, make_engine, make_read_session_factory, make_session_factory
from store.migrate import upgrade
from store.models import AuditLog
from store.types import utcnow

_PLAIN_SEQ = 10**12
_DETAIL = {"file": "cases.csv", "rows": 3000, "reason": "投诉倾向"}


def _plain(sessions: SessionFactory, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        with sessions.begin() as session:
            session.add(
                AuditLog(
                    id=_PLAIN_SEQ + i,
                    at=utcnow(),
                    actor="bench",
                    action="bench.plain",
                    object_type="case",
                    object_id=str(i),
                    detail=dict(_DETAIL),
                    chain_seq=_PLAIN_SEQ + i,
                    chain_version=CHAIN_VERSION,
                    chain_prev=GENESIS,
                    chain_hash=GENESIS,
                )
            )
    seconds = time.perf_counter() - started
    with sessions.begin() as session:
        session.execute(delete(AuditLog).where(AuditLog.id >= _PLAIN_SEQ))
    return seconds


def _chained(sessions: SessionFactory, count: int) -> float:
    started = time.perf_counter()
    for i in range(count):
        with sessions.begin() as session:
            record_audit(
                session,
                "bench",
                "bench.chained",
                object_type="case",
                object_id=str(i),
                detail=dict(_DETAIL),
            )
    return time.perf_counter() - started


def _fill(sessions: SessionFactory, first_id: int, first_seq: int, prev: str, count: int) -> None:
    """A long chain, written in bulk (what many appends would leave), to verify."""
    at, rows = utcnow(), []
    for n in range(count):
        row = ChainRow(
            first_id + n,
            at + timedelta(microseconds=n),
            "bench",
            "bench.fill",
            "case",
            str(n),
            _DETAIL,
        )
        digest = chain_hash(row, first_seq + n, prev)
        rows.append(
            {
                "id": row.id,
                "at": row.at,
                "actor": row.actor,
                "action": row.action,
                "object_type": row.object_type,
                "object_id": row.object_id,
                "detail": _DETAIL,
                "chain_seq": first_seq + n,
                "chain_version": CHAIN_VERSION,
                "chain_prev": prev,
                "chain_hash": digest,
            }
        )
        prev = digest
        if len(rows) == 5000 or n == count - 1:
            with sessions.begin() as session:
                session.execute(insert(AuditLog), rows)
            rows = []


def _backend(url: str, appends: int, chain: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    sessions, reads = make_session_factory(engine), make_read_session_factory(engine)
    plain_s = _plain(sessions, appends)
    chained_s = _chained(sessions, appends)
    head = verify(reads).head
    _fill(sessions, head.id + 1, appends + 1, head.hash, chain - appends)
    started = time.perf_counter()
    verdict = verify(reads)
    verify_s = time.perf_counter() - started
    engine.dispose()
    assert verdict.broken is None and verdict.rows == chain, verdict
    return {
        "appends": appends,
        "plain_ms": plain_s / appends * 1000,
        "chained_ms": chained_s / appends * 1000,
        "rows": verdict.rows,
        "verify_s": verify_s,
        "verify_rows_per_s": verdict.rows / verify_s,
    }


def run(appends: int, chain: int, postgres_url: str | None) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="cw-bench-audit-") as tmp:
        results["sqlite"] = _backend(f"sqlite:///{tmp}/audit.db", appends, chain)
    if postgres_url:
        with postgres_database(postgres_url) as url:
            results["postgresql"] = _backend(url, appends, chain)
    return results


def report(results: dict[str, Any]) -> str:
    lines = ["audit chain: an append in its own transaction, and verify's streaming rate:"]
    for backend, r in results.items():
        lines.append(
            f"  {backend:<10} append {r['chained_ms']:.2f} ms chained vs {r['plain_ms']:.2f} ms "
            f"plain ({r['chained_ms'] / r['plain_ms']:.2f}×, {r['appends']:,} each); "
            f"verify {r['rows']:,} rows in {r['verify_s']:.1f} s "
            f"({r['verify_rows_per_s']:,.0f} rows/s)"
        )
    return "\n".join(lines)
