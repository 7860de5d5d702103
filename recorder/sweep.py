"""The sweep: recordings in Asterisk's spool that nobody handed over (a dialer that died
between the hangup and the intake) are found, merged and stored.

MixMonitor writes ``attempt-N-rx.wav`` and ``attempt-N-tx.wav``; a pair whose
files stopped changing ``min_age_s`` ago and whose attempt has no recording
yet is merged to ``attempt-N.wav`` and stored for attempt N.
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from recorder.archive import Archive
from recorder.errors import BadRecording
from recorder.intake import CallMetadata, Intake, store_recording
from recorder.merge import AGENT_CHANNEL, merge_noting_repairs
from store.db import SessionFactory
from store.models import CallAttempt, Recording

_PAIR = re.compile(r"^attempt-(\d+)-rx\.wav$")


def sweep_spool(
    sessions: SessionFactory,
    spool: Path,
    archive: Path | Archive,
    now: datetime,
    min_age_s: float = 10.0,
) -> list[Intake]:
    """Store every finished, unclaimed recording pair in ``spool``; returns what was stored."""
    pairs: dict[int, tuple[Path, Path]] = {}
    for rx in sorted(spool.glob("attempt-*-rx.wav")):
        match = _PAIR.match(rx.name)
        tx = rx.with_name(rx.name.replace("-rx.wav", "-tx.wav"))
        if match is not None and tx.is_file() and _finished((rx, tx), min_age_s):
            pairs[int(match.group(1))] = (rx, tx)
    if not pairs:
        return []
    with sessions() as session:  # only the attempts found in the spool, not the whole table
        known = set(session.scalars(select(CallAttempt.id).where(CallAttempt.id.in_(pairs))))
        have = set(
            session.scalars(
                select(Recording.call_attempt_id).where(Recording.call_attempt_id.in_(pairs))
            )
        )
    stored: list[Intake] = []
    for attempt, (rx, tx) in sorted(pairs.items()):
        if attempt in have or attempt not in known:
            continue
        merged = rx.with_name(f"attempt-{attempt}.wav")
        try:
            repair = merge_noting_repairs(rx, tx, merged)[1]
            meta = CallMetadata(
                call_attempt_id=attempt, agent_channel=AGENT_CHANNEL, repair_note=repair
            )
        except BadRecording:  # stored as it is, and so as failed, with the reason
            merged, meta = rx, CallMetadata(call_attempt_id=attempt)
        stored.append(store_recording(sessions, merged, archive, now, meta))
    return stored


def _finished(paths: tuple[Path, ...], min_age_s: float) -> bool:
    newest = max(p.stat().st_mtime for p in paths)
    return time.time() - newest >= min_age_s
