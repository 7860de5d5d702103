"""Live path capacity (issue 18): how much CPU following N calls at once costs, by how the
followers share the model.

N labelled calls of the dev split (tuned on; this measures cost, not generality) are heard as
calls up at once (``hear_calls_as_live``: MixMonitor's 2.05 s arrivals, per-direction stream
VAD, ≤ 5 s pieces), three ways:

- ``one_by_one``: each call's pieces decoded on their own, one call after another (what the
  followers did before they shared the model: one decode lock);
- ``per_call``: each call's pieces in windows of their own, every call's windows in one batch
  (``[live] after_call = "reuse"``: a kept transcript never depends on other calls);
- ``shared``: the pieces of every call packed into common windows (the default, ``redecode``);
- ``shared_10s``: the same, the encoder reading 10 s windows (``[live] encoder_s = 10``).

Each reports CPU seconds (the model's threads included) and wall seconds per audio second, the
calls one core could follow in real time at that cost, and what the detector flags on the live
transcripts against the calls' labels (sharing windows must not cost recall).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compliance.detector import CallContext, Detector, Utterance
from compliance.evaluation.labelled import LabelledCall, read_labelled_set
from compliance.evaluation.score import Span, score
from config import Settings
from console.app import build_app
from console.call_audio import read_call_audio
from transcriber.asr import Audio16k, RecognisedText
from transcriber.live import hear_calls_as_live
from transcriber.live_decode import SharedDecoder
from transcriber.whisper import WhisperRecognizer

DEV = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "eval" / "dev"
Recognise = Callable[[list[list[Audio16k]]], list[list[RecognisedText]]]


def run(calls: int = 10) -> dict[str, Any]:
    app = build_app(Settings())
    lexicon = app.lexicon()
    transcriber = app.transcriber(lexicon)
    recognizer = transcriber.recognizer
    settings = (transcriber.vad, app.settings.live.max_piece_s)
    labelled = [
        c for c in read_labelled_set(DEV, need_audio=True) if c.spec.agent_channel is not None
    ]
    chosen = labelled[:calls]
    audios = []
    for call in chosen:
        assert call.audio is not None and call.spec.agent_channel is not None
        audios.append((read_call_audio(call.audio), call.spec.agent_channel))
    audio_s = sum(len(a.channels[0]) / a.rate for a, _ in audios)
    detector = Detector(lexicon)

    def one_by_one(groups: list[list[Audio16k]]) -> list[list[RecognisedText]]:
        return [recognizer.recognise_many(g) for g in groups]

    modes: dict[str, Recognise] = {
        "one_by_one": one_by_one,
        "per_call": SharedDecoder(recognizer, across_calls=False).recognise_groups,
        "shared": SharedDecoder(recognizer, across_calls=True).recognise_groups,
    }
    if isinstance(recognizer, WhisperRecognizer):  # ``[live] encoder_s = 10``
        short = recognizer.shorter(10.0)
        modes["shared_10s"] = SharedDecoder(short, across_calls=True).recognise_groups
    results: dict[str, Any] = {"calls": len(chosen), "audio_s": round(audio_s, 1)}
    for name, recognise in modes.items():
        cpu, wall = time.process_time(), time.perf_counter()
        heard = hear_calls_as_live(recognise, audios, settings)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        results[name] = {
            "cpu_per_audio_s": round(cpu / audio_s, 3),
            "wall_per_audio_s": round(wall / audio_s, 3),
            "calls_per_core": round(audio_s / cpu, 1),
            **_recall(detector, chosen, heard),
        }
    results["load"] = round(os.getloadavg()[0], 1)
    return results


def _recall(
    detector: Detector, calls: list[LabelledCall], heard: list[list[Any]]
) -> dict[str, Any]:
    labels: list[Span] = []
    found: list[Span] = []
    for call, said in zip(calls, heard, strict=True):
        labels += [Span(call.call_id, x.category, x.start, x.end) for x in call.labels]
        utterances = [Utterance(u.speaker, u.start, u.end, u.text) for u in said]
        flags = detector.detect(utterances, CallContext(call.spec.contact_type)).flags
        found += [Span(call.call_id, f.category, f.start, f.end) for f in flags]
    overall = score(found, labels).overall
    return {"tp": overall.tp, "fp": overall.fp, "fn": overall.fn}


def report(result: dict[str, Any]) -> str:
    rows = [
        f"live capacity: {result['calls']} dev calls ({result['audio_s']} s of audio) heard as "
        f"calls up at once (load {result['load']})"
    ]
    for mode in ("one_by_one", "per_call", "shared", "shared_10s"):
        r = result.get(mode)
        if r is None:
            continue
        rows.append(
            f"  {mode:<10} CPU {r['cpu_per_audio_s']:.3f} s and wall {r['wall_per_audio_s']:.3f} s"
            f" per audio second: {r['calls_per_core']} calls per core; "
            f"flags tp {r['tp']} fp {r['fp']} fn {r['fn']}"
        )
    return "\n".join(rows)
