"""The audit chain's canonical form and hash, and the verdict on a stream of rows. Pure: no I/O,
no clock.

Each audit row's ``chain_hash`` is the sha256 of its canonical form, which includes the
previous row's hash; ``/work/shared/specs/audit-chain.md`` (``docs/audit-chain.md`` in the
project) defines the form byte for byte, because backups and other tools recompute it.

:func:`verify_rows` walks rows in id order and returns the first break it finds, saying
which row and how: content changed, rows missing, rows out of order, a row re-hashed after
an edit, or a head stored earlier that the chain no longer holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

CHAIN_VERSION = 1
"""Version of the canonical form; a new form gets a new number and keeps the old one readable."""
VERSIONS = frozenset({1})
"""Every version :func:`canonical_form` can still write and check."""
GENESIS = "0" * 64
"""The "previous hash" of the first row of the chain."""
_PREFIX = b"callwarden-audit-chain\n"


@dataclass(frozen=True)
class ChainRow:
    """One audit row as the chain sees it: the content fields and the chain fields."""

    id: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: Any
    """The JSON value as stored (an object, as :func:`store.audit.record_audit` writes it)."""
    chain_seq: int | None = None
    chain_version: int | None = None
    chain_prev: str | None = None
    chain_hash: str | None = None
    unreadable: str | None = None
    """``field: why`` when the stored row does not decode (edited outside the program)."""


@dataclass(frozen=True)
class Head:
    """The chain's last row: what a backup stores to catch a rewrite of the whole chain."""

    id: int
    hash: str

    def __str__(self) -> str:
        return f"{self.id}:{self.hash}"


EMPTY_HEAD = Head(0, GENESIS)


class HeadFormatError(ValueError):
    """A head given as text is not ``ID:HASH``."""


def parse_head(text: str) -> Head:
    """``ID:HASH`` (as ``callwarden audit head`` prints it) → :class:`Head`."""
    ident, sep, digest = text.strip().partition(":")
    if not sep or not ident.isdigit() or len(digest) != 64:
        raise HeadFormatError(f"head {text!r}: expected ID:HASH (a row id, then 64 hex digits)")
    try:
        int(digest, 16)
    except ValueError:
        raise HeadFormatError(f"head {text!r}: the hash is not hexadecimal") from None
    return Head(int(ident), digest.lower())


def _timestamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("audit time must be aware (UTC)")
    # YYYY-MM-DDTHH:MM:SS.ffffffZ; isoformat is several times faster than strftime
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_form(row: ChainRow, seq: int, prev: str, version: int = CHAIN_VERSION) -> bytes:
    """The bytes that are hashed (version 1; see the spec for the exact rules)."""
    if version not in VERSIONS:
        raise ValueError(f"unknown audit chain version {version}")
    body = {
        "v": version,
        "seq": seq,
        "id": row.id,
        "at": _timestamp(row.at),
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "detail": row.detail,
        "prev": prev,
    }
    text = json.dumps(
        body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return _PREFIX + text.encode("utf-8")


def chain_hash(row: ChainRow, seq: int, prev: str, version: int = CHAIN_VERSION) -> str:
    """The row's hash at chain position ``seq`` after a row whose hash is ``prev``."""
    return hashlib.sha256(canonical_form(row, seq, prev, version)).hexdigest()


@dataclass(frozen=True)
class Break:
    """The first place the chain does not hold: which row, and how (中文 first, then English)."""

    row_id: int
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Verdict:
    """What a walk of the chain found: rows checked, the last row, and the first break."""

    rows: int
    head: Head
    broken: Break | None


def _with_next(rows: Iterable[ChainRow]) -> Iterator[tuple[ChainRow, ChainRow | None]]:
    """Each row with the one after it: one row of look-ahead tells a gap from a move."""
    it = iter(rows)
    current = next(it, None)
    while current is not None:
        following = next(it, None)
        yield current, following
        current = following


def _order_break(
    row: ChainRow, after: ChainRow | None, expected: int, nxt: ChainRow | None
) -> Break:
    seq = row.chain_seq or 0
    where = f"row {after.id}" if after else "the start"
    where_zh = f"第 {after.id} 行之后" if after else "链首"
    moved = seq < expected or (nxt is not None and nxt.chain_seq != seq + 1)
    if moved:
        return Break(
            row.id,
            f"第 {row.id} 行：顺序被改动（链位置 {seq}，此处应为 {expected}）",
            f"row {row.id}: out of order (chain position {seq} where {expected} belongs)",
        )
    missing = seq - expected
    return Break(
        row.id,
        f"第 {row.id} 行：{where_zh}缺少 {missing} 行",
        f"row {row.id}: {missing} row(s) missing after {where}",
    )


def _row_break(
    row: ChainRow, prev: ChainRow | None, prev_hash: str, seq: int, nxt: ChainRow | None
) -> Break | None:
    """The first thing wrong with ``row`` as the chain's next row after ``prev``, if any."""
    if row.unreadable is not None:
        return Break(
            row.id,
            f"第 {row.id} 行：无法读取（{row.unreadable}）",
            f"row {row.id}: unreadable ({row.unreadable})",
        )
    if row.chain_seq is None or row.chain_hash is None or row.chain_prev is None:
        return Break(row.id, f"第 {row.id} 行：未入链", f"row {row.id}: not chained")
    version = row.chain_version
    if version is None or version not in VERSIONS:
        return Break(
            row.id,
            f"第 {row.id} 行：未知的链版本 {row.chain_version}",
            f"row {row.id}: unknown chain version {row.chain_version}",
        )
    if row.chain_seq != seq:
        return _order_break(row, prev, seq, nxt)
    if _hash_or_none(row, version) != row.chain_hash:
        return Break(row.id, f"第 {row.id} 行：内容被改动", f"row {row.id}: content changed")
    if row.chain_prev != prev_hash:
        # The row is intact and in place, so its predecessor was edited and re-hashed.
        culprit = prev.id if prev else row.id
        return Break(
            culprit,
            f"第 {culprit} 行：内容被改动并重新计算了哈希（第 {row.id} 行仍指向原哈希）",
            f"row {culprit}: content changed and re-hashed (row {row.id} links to its old hash)",
        )
    return None


def _hash_or_none(row: ChainRow, version: int) -> str | None:
    """The row's hash, or None where its content has no canonical form: NaN, Infinity or an
    overflowing number put into ``detail`` by hand, which no writer could have hashed."""
    assert row.chain_seq is not None and row.chain_prev is not None
    try:
        return chain_hash(row, row.chain_seq, row.chain_prev, version)
    except ValueError:
        return None


def verify_rows(rows: Iterable[ChainRow], expect_head: Head | None = None) -> Verdict:
    """Walk ``rows`` (in id order) and return the first break; bounded memory, one pass.

    ``expect_head``, a head stored earlier (by a backup), must still be in the chain with the
    same hash: that catches a rewrite of the whole chain, every row re-hashed consistently.
    """
    prev: ChainRow | None = None
    prev_hash, count = GENESIS, 0
    for row, nxt in _with_next(rows):
        broken = _row_break(row, prev, prev_hash, count + 1, nxt)
        if broken is None and expect_head is not None:
            broken = _head_break(row, _head_of(prev), expect_head)
        if broken is not None:
            return Verdict(count, _head_of(prev), broken)
        prev, prev_hash, count = row, row.chain_hash or "", count + 1
    head = _head_of(prev)
    if expect_head is not None and expect_head.id > head.id:
        return Verdict(count, head, _head_missing(expect_head, head))
    return Verdict(count, head, None)


def _head_of(row: ChainRow | None) -> Head:
    return Head(row.id, row.chain_hash or "") if row is not None else EMPTY_HEAD


def _head_break(row: ChainRow, before: Head, expected: Head) -> Break | None:
    """Whether ``row`` contradicts the head stored earlier: a different hash, or its id skipped."""
    if before.id < expected.id < row.id:
        return _head_missing(expected, before)
    if row.id != expected.id or row.chain_hash == expected.hash:
        return None
    return Break(
        row.id,
        f"第 {row.id} 行：哈希与先前保存的链头不同（整条链被重写）",
        f"row {row.id}: hash differs from the head stored earlier (the chain was rewritten)",
    )


def _head_missing(expected: Head, head: Head) -> Break:
    return Break(
        expected.id,
        f"第 {expected.id} 行（先前保存的链头）缺失，应在第 {head.id} 行之后",
        f"row {expected.id} (the head stored earlier) missing after row {head.id}",
    )
