"""The real recogniser: faster-whisper (CTranslate2), loaded once per process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel

from config.settings import TranscriberSettings
from transcriber.asr import Audio16k, RecognisedText
from transcriber.errors import ModelUnavailable

WINDOW_S = 28.0
"""Longest packed window, in seconds (Whisper reads 30 s at most)."""
GAP_S = 0.6
"""Silence between packed pieces, in seconds: Whisper ends a segment there."""


@dataclass(frozen=True)
class DecodeOptions:
    language: str = "zh"
    beam_size: int = 1
    no_speech_threshold: float = 0.9
    """Above this no-speech probability (and with low confidence) a segment is dropped;
    VAD already said it is speech, so only a very sure 'silence' wins."""


class WhisperRecognizer:
    """Greedy, temperature 0, no conditioning on earlier text: fast and reproducible."""

    def __init__(self, model_dir: Path, settings: TranscriberSettings) -> None:
        device = settings.device
        if device == "auto":
            device = "cuda" if _cuda_available() else "cpu"
        compute = settings.compute_type
        if compute == "default":
            compute = "float16" if device == "cuda" else "int8"
        try:
            self.model = WhisperModel(
                str(model_dir),
                device=device,
                compute_type=compute,
                cpu_threads=settings.cpu_threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelUnavailable(f"{model_dir}: cannot load the Whisper model: {exc}") from exc
        self.device = device
        self.options = DecodeOptions(beam_size=settings.beam_size)

    def recognise_many(self, pieces: Sequence[Audio16k]) -> list[RecognisedText]:
        """Pack the pieces into windows (one encoder pass each), then split the text back.

        Whisper's encoder always reads 30 s, so decoding each utterance alone
        pays for 30 s every time; packing a channel's speech with a second of
        silence between pieces pays once per window. Each decoded segment goes
        back to the piece it overlaps most. Whisper sometimes ends a window
        early and skips what follows: a piece that got no text is decoded
        again on its own, so VAD's speech is never silently dropped.
        """
        results: list[list[tuple[str, float]]] = [[] for _ in pieces]
        for window in pack_windows([len(p) for p in pieces]):
            audio = np.concatenate(
                [part for index in window.pieces for part in (pieces[index], window.gap_audio)]
            )
            for start, end, text, logprob in self._decode(audio):
                owner = window.owner(start, end)
                results[owner].append((text, logprob))
            for index in window.pieces:
                if len(window.pieces) > 1 and not "".join(t for t, _ in results[index]).strip():
                    results[index] = [(t, lp) for _, _, t, lp in self._decode(pieces[index])]
        return [
            RecognisedText(
                "".join(t for t, _ in parts),
                sum(lp for _, lp in parts) / len(parts) if parts else None,
            )
            for parts in results
        ]

    def _decode(self, audio: Audio16k) -> list[tuple[float, float, str, float]]:
        segments, _ = self.model.transcribe(
            audio,
            language=self.options.language,
            beam_size=self.options.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            vad_filter=False,
            no_speech_threshold=self.options.no_speech_threshold,
        )
        return [(s.start, s.end, s.text, s.avg_logprob) for s in segments]


@dataclass(frozen=True)
class Window:
    """Pieces decoded together; ``spans`` are their (start, end) seconds inside the window."""

    pieces: tuple[int, ...]
    spans: tuple[tuple[float, float], ...]
    gap_audio: Audio16k

    def owner(self, start: float, end: float) -> int:
        """The piece a decoded segment [start, end) overlaps most (nearest if none)."""

        def score(k: int) -> tuple[float, float]:
            a, b = self.spans[k]
            overlap = min(end, b) - max(start, a)
            distance = min(abs(start - b), abs(end - a))
            return (overlap, -distance)

        best = max(range(len(self.pieces)), key=score)
        return self.pieces[best]


def pack_windows(lengths: Sequence[int], rate: int = 16000) -> list[Window]:
    """Consecutive pieces, each followed by ``GAP_S`` of silence, in windows of ``WINDOW_S``."""
    gap = int(GAP_S * rate)
    gap_audio = np.zeros(gap, dtype=np.float32)
    windows: list[Window] = []
    current: list[int] = []
    spans: list[tuple[float, float]] = []
    cursor = 0
    for index, length in enumerate(lengths):
        if current and cursor + length > WINDOW_S * rate:
            windows.append(Window(tuple(current), tuple(spans), gap_audio))
            current, spans, cursor = [], [], 0
        current.append(index)
        spans.append((cursor / rate, (cursor + length) / rate))
        cursor += length + gap
    if current:
        windows.append(Window(tuple(current), tuple(spans), gap_audio))
    return windows


def _cuda_available() -> bool:
    try:
        return int(ctranslate2.get_cuda_device_count()) > 0
    except RuntimeError:
        return False
