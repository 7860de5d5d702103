"""Transcription pipeline throughput and accuracy, side by side with naive Whisper.

Ours: intake + per-channel VAD + packed-window Whisper base (int8, 2 threads)
+ detector + store, per recording. Naive, in the same run on the same files:
``WhisperModel.transcribe(file)`` on the file mixed to mono, default decoding.
Both report audio-seconds per wall-second and the character error rate
against the labelled transcripts; each runs in its own process so its peak
memory is its own (one worker).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.child import run_child


def run(calls: int, var: Path) -> dict[str, Any]:
    var.mkdir(parents=True, exist_ok=True)
    ours = run_child("bench.pipeline_child", "ours", str(calls), str(var))
    naive = run_child("bench.pipeline_child", "naive", str(calls), str(var))
    for side in (ours, naive):
        side["speed_x_realtime"] = round(side["audio_s"] / side["wall_s"], 2)
    return {
        "calls": calls,
        "ours": ours,
        "naive": naive,
        "speedup_vs_naive": round(naive["wall_s"] / ours["wall_s"], 2),
    }


def report(result: dict[str, Any]) -> str:
    rows = [f"transcription pipeline, {result['calls']} calls:"]
    for side in ("ours", "naive"):
        r = result[side]
        rows.append(
            f"  {side:<6} {r['audio_s']:7.1f} s audio in {r['wall_s']:6.1f} s = "
            f"{r['speed_x_realtime']:5.2f}× real time, CER {r['cer']:.3f}, "
            f"peak RSS {r['peak_rss_mib']:.0f} MiB (model load {r['load_s']:.1f} s)"
        )
    rows.append(f"  ours is {result['speedup_vs_naive']}× faster than naive")
    return "\n".join(rows)
