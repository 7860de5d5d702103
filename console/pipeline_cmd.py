"""``callwarden transcribe``, ``worker`` and ``calls show``: recordings through the pipeline."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy import select
from tqdm import tqdm

from console.app import App
from console.spool import spool_dir
from recorder.intake import CallMetadata, wav_files
from recorder.sweep import sweep_spool
from store.call_view import CallView, ReviewItemView, call_view
from store.models import Recording
from store.models import Utterance as UtteranceRow
from store.safe_text import neutralise
from store.types import utcnow
from transcriber.pipeline import Outcome


def cmd_transcribe(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    files = wav_files(Path(p) for p in args.paths)
    missing = [f for f in files if not f.is_file()]
    if missing:
        for path in missing:
            print(f"{path}: no such file", file=sys.stderr)
        return 1
    meta = CallMetadata(agent_channel=args.agent_channel, contact_type=args.contact_type)
    intakes = [app.store_recording(f, meta) for f in files]
    if args.queue:
        queue = app.queue()
        for intake in intakes:
            queue.enqueue(intake.recording_id)
        print(f"{len(intakes)} recordings stored and queued for the workers", file=out)
        return 0
    processor = app.processor() if any(i.status == "stored" for i in intakes) else None
    counts: dict[str, int] = {}
    size = app.settings.queue.batch
    with tqdm(total=len(files), desc="transcribing", unit="file", file=sys.stderr) as bar:
        for first in range(0, len(files), size):
            chunk = intakes[first : first + size]
            ids = [intake.recording_id for intake in chunk]
            outcomes = processor.process_batch(ids) if processor else [None] * len(ids)
            paths = files[first : first + size]
            for path, intake, outcome in zip(paths, chunk, outcomes, strict=True):
                status, line = _file_line(app, path, intake.recording_id, outcome)
                counts[status] = counts.get(status, 0) + 1
                if args.json:
                    print(json.dumps(line, ensure_ascii=False), file=out, flush=True)
            bar.update(len(chunk))
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"{len(files)} files: {summary}", file=sys.stderr if args.json else out)
    return 0 if "failed" not in counts else 1


def _file_line(
    app: App, path: Path, recording_id: int, outcome: Outcome | None
) -> tuple[str, dict[str, object]]:
    with app.sessions() as session:
        row = session.get_one(Recording, recording_id)
        said = session.scalars(
            select(UtteranceRow)
            .where(UtteranceRow.recording_id == recording_id)
            .order_by(UtteranceRow.start_s, UtteranceRow.id)
        ).all()
        status = row.status.value
        if outcome is not None and outcome.status == "retry":
            status = "failed"
        return status, {
            "file": str(path),
            "sha256": row.sha256,
            "duration": row.duration_s,
            "status": status,
            "error": row.error,
            "repair_note": row.repair_note,
            "utterances": [
                {"speaker": u.speaker.value, "start": u.start_s, "end": u.end_s, "text": u.text}
                for u in said
            ],
        }


def cmd_worker(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    workers = args.workers or app.settings.queue.workers
    where = app.queue_location()
    print(f"transcription workers: {workers}, queue: {where} (Ctrl-C stops)", file=out, flush=True)
    app.queue().run_workers(workers)
    return 0


_MAX_ID = 2**63 - 1  # the databases' BIGINT; no row's id is past it (0 is none's either)


def cmd_calls_show(app: App, args: argparse.Namespace, out: TextIO) -> int:
    app.require_schema()
    with app.sessions() as session:
        key = str(args.call_id)
        query = select(Recording.id)
        # ASCII digits only ("²" and "١٢" are str.isdigit too), and no id past a row's 64 bits.
        if key.isascii() and key.isdigit():
            wanted = int(key) if len(key) <= len(str(_MAX_ID)) else 0
            query = query.where(Recording.id == (wanted if wanted <= _MAX_ID else 0))
        else:
            query = query.where(Recording.sha256.startswith(key.lower()))
        ids = session.scalars(query.limit(2)).all()
        view = call_view(session, ids[0]) if len(ids) == 1 else None
    if view is None:
        print(f"callwarden: no single recording matches {key!r}", file=sys.stderr)
        return 1
    _print_call(view, out)
    return 0


_SPEAKERS = {"agent": "坐席", "callee": "对方", "unknown": "未知"}


def _print_call(view: CallView, out: TextIO) -> None:
    """The call as the QA page shows it: the same lines marked (``store.call_view``)."""
    row = view.recording
    print(
        f"recording {row.id}  {row.status.value}  {row.duration_s or 0:.1f}s  "
        f"sha256 {row.sha256[:12]}…" + (f"  error: {neutralise(row.error)}" if row.error else ""),
        file=out,
    )
    if row.repair_note:
        print(f"  repaired (修复): {row.repair_note}", file=out)
    for line in view.lines:
        u = line.utterance
        note = "".join(f"   ⚑ {f.category} ({f.rule_id})" for f in line.flags)
        # A recogniser's byte-level tokens can spell any character: print the text inert.
        text = neutralise(u.text)
        print(
            f"[{u.start_s:6.1f}–{u.end_s:6.1f}] {_SPEAKERS[u.speaker.value]}: {text}{note}",
            file=out,
        )
    _print_review(view.review, out)


def _print_review(items: Sequence[ReviewItemView], out: TextIO) -> None:
    """The weak matches, apart from the transcript's flags: they are not flags."""
    if not items:
        return
    print(f"待复听 / listen to this ({len(items)}, not flags):", file=out)
    for item in items:
        print(
            f"  [{item.start_s:6.1f}–{item.end_s:6.1f}] ? {item.category} ({item.rule_id}) "
            f"“{item.heard}” cost {item.cost:.2f}  {item.status.value}",
            file=out,
        )


def cmd_recordings_sweep(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Store (and queue) recordings left in Asterisk's spool without an intake."""
    app.require_schema()
    spool = spool_dir(app, args.spool)
    if spool is None:
        return 2
    found = sweep_spool(app.sessions, spool, app.archive, utcnow(), args.min_age)
    queue = app.queue() if found else None
    for intake in found:
        if queue is not None and intake.status == "stored":
            queue.enqueue(intake.recording_id)
    print(f"{len(found)} recording(s) swept from {spool} and queued", file=out)
    return 0
