"""One side of the pipeline benchmark, in its own process: ``ours`` or ``naive``.

Prints one JSON object: audio seconds, wall seconds (model load excluded and
reported apart), character error rate against the labelled transcripts, and
the process's peak RSS.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
import wave
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from sqlalchemy import select

from compliance.detector import Detector
from compliance.lexicon import load_lexicon
from config.settings import TranscriberSettings
from console.detection import detect_with
from recorder.intake import CallMetadata, store_recording
from store.db import make_engine, make_session_factory
from store.migrate import upgrade
from store.models import Utterance
from store.types import utcnow
from transcriber import open_transcriber, to_simplified
from transcriber.model import resolve_model
from transcriber.pipeline import RecordingProcessor

CALLS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "calls"
BATCH = int(os.environ.get("CALLWARDEN_BENCH_BATCH", "8"))
"""Recordings decoded together (queue.batch); 1 measures one recording at a time."""


def plain(text: str) -> str:
    """What CER compares: Simplified Han characters, letters and digits only."""
    return "".join(c for c in to_simplified(text) if c.isalnum())


def cer(reference: str, heard: str) -> tuple[int, int]:
    """(edits, reference length) by Levenshtein distance."""
    ref, hyp = plain(reference), plain(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1], len(ref)


def calls(count: int, scratch: Path) -> list[tuple[Path, dict[str, object]]]:
    """The first ``count`` labelled calls, made realistic: speech about half of each call.

    The fixtures are back-to-back speech (about 90 % of the mixed call); a real
    call has pauses, so after each line the same length of silence is added
    (line noise kept: the channels' own quiet, not digital zero).
    """
    chosen = sorted(CALLS.glob("*.json"))[:count]
    out = []
    for path in chosen:
        label = json.loads(path.read_text(encoding="utf-8"))
        target = scratch / path.with_suffix(".wav").name
        out.append((target, paced(path.with_suffix(".wav"), label, target)))
    return out


def paced(source: Path, label: dict[str, Any], target: Path) -> dict[str, Any]:
    with wave.open(str(source)) as wav:
        rate = wav.getframerate()
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    pieces: list[np.ndarray[Any, Any]] = []
    cursor = 0
    lines = []
    added = 0.0
    for line in label["transcript"]:
        end = int(line["end"] * rate)
        pieces.append(frames[cursor:end])
        pause = line["end"] - line["start"]
        pieces.append(np.zeros((int(pause * rate), 2), dtype="<i2"))
        lines.append({**line, "start": line["start"] + added, "end": line["end"] + added})
        added += pause
        cursor = end
    pieces.append(frames[cursor:])
    audio = np.concatenate(pieces)
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(audio.tobytes())
    return {**label, "transcript": lines, "duration": len(audio) / rate}


def reference(label: dict[str, object]) -> str:
    lines = label["transcript"]
    assert isinstance(lines, list)
    return "".join(str(u["text"]) for u in lines)


def ours(count: int, var: Path, scratch: Path) -> dict[str, object]:
    loaded = time.perf_counter()
    settings = TranscriberSettings()
    engine = make_engine(f"sqlite:///{scratch / 'bench.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    lexicon = load_lexicon("cn-default")
    processor = RecordingProcessor(
        sessions=sessions,
        transcriber=open_transcriber(settings, var, lexicon),
        detect=detect_with(Detector(lexicon)),
        worker="bench",
        clock=utcnow,
        model_name="base",
    )
    load_s = time.perf_counter() - loaded
    edits = length = 0
    audio = 0.0
    batch = BATCH
    todo = calls(count, scratch)
    start = time.perf_counter()
    # A worker with a backlog: it decodes up to ``batch`` waiting recordings together.
    for first in range(0, len(todo), batch):
        chunk = todo[first : first + batch]
        ids = []
        for wav, label in chunk:
            agent = int(str(label["agent_channel"]))
            meta = CallMetadata(agent_channel=agent, contact_type="debtor")
            ids.append(
                store_recording(sessions, wav, scratch / "archive", utcnow(), meta).recording_id
            )
        processor.process_batch(ids)
        for recording_id, (_, label) in zip(ids, chunk, strict=True):
            with sessions() as session:
                heard = "".join(
                    session.scalars(
                        select(Utterance.text)
                        .where(Utterance.recording_id == recording_id)
                        .order_by(Utterance.start_s)
                    )
                )
            e, n = cer(reference(label), heard)
            edits, length = edits + e, length + n
            audio += float(str(label["duration"]))
    wall = time.perf_counter() - start
    return {
        "audio_s": audio,
        "wall_s": wall,
        "load_s": load_s,
        "cer": edits / length,
        "batch": batch,
    }


def naive(count: int, var: Path, scratch: Path) -> dict[str, object]:
    loaded = time.perf_counter()
    model = WhisperModel(
        str(resolve_model("", var)), device="cpu", compute_type="int8", cpu_threads=2
    )
    load_s = time.perf_counter() - loaded
    edits = length = 0
    audio = 0.0
    start = time.perf_counter()
    for wav, label in calls(count, scratch):
        segments, _ = model.transcribe(str(wav), language="zh")  # the file, mixed to mono
        heard = "".join(s.text for s in segments)
        e, n = cer(reference(label), heard)
        edits, length, audio = edits + e, length + n, audio + float(str(label["duration"]))
    wall = time.perf_counter() - start
    return {"audio_s": audio, "wall_s": wall, "load_s": load_s, "cer": edits / length}


def main() -> None:
    side, count, var = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    with tempfile.TemporaryDirectory() as scratch:  # a fresh database and archive each run
        side_runs = ours if side == "ours" else naive
        result = side_runs(count, var, Path(scratch))
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
