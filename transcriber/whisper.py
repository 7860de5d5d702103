"""The real recogniser: faster-whisper (CTranslate2), loaded once per process."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens

from config.settings import TranscriberSettings
from transcriber.asr import Audio16k, RecognisedText
from transcriber.errors import ModelUnavailable

WINDOW_S = 28.0
"""Longest packed window, in seconds (Whisper reads 30 s at most)."""
GAP_S = 0.6
"""Silence between packed pieces, in seconds: Whisper ends a segment there."""
CALL_GAP_S = 1.5
"""Silence between the last piece of one call and the first of the next."""
STRADDLE_S = 0.25
"""A segment reaching this far into pieces of two calls is decoded again, piece by piece."""


@dataclass(frozen=True)
class DecodeOptions:
    language: str = "zh"
    beam_size: int = 1


class WhisperRecognizer:
    """Greedy, temperature 0, no conditioning on earlier text: fast and reproducible.

    Windows are encoded and decoded in batches straight through CTranslate2:
    decoding eight windows at once costs about a third as much per window as
    decoding them one by one (the vocabulary projection becomes a matrix
    product), so a worker with several recordings waiting hands them over
    together (``recognise_batch``).
    """

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
        self.tokenizer = Tokenizer(
            self.model.hf_tokenizer, True, task="transcribe", language=self.options.language
        )
        self._prompt = [self.tokenizer.sot, self.tokenizer.language, self.tokenizer.transcribe]
        self._suppress = get_suppressed_tokens(self.tokenizer, (-1,))

    def recognise_many(self, pieces: Sequence[Audio16k]) -> list[RecognisedText]:
        return self.recognise_batch([pieces])[0]

    def recognise_batch(self, groups: Sequence[Sequence[Audio16k]]) -> list[list[RecognisedText]]:
        """The pieces of several calls (one group each), packed into windows and decoded in batches.

        Whisper's encoder always reads 30 s, so decoding each utterance alone
        pays for 30 s every time; packing speech with a pause between pieces
        pays once per window, and filling windows across calls pays least.
        Each decoded segment goes back to the piece it overlaps most. A segment
        that reaches into two calls is not trusted with either: those pieces
        are decoded again (packed with other such pieces, then alone), and a
        straddling segment is never kept, so no call's words land in another's
        transcript. Whisper sometimes ends a window early and skips what
        follows: a piece that got no text is decoded again the same way, so
        VAD's speech is never dropped.
        """
        flat = [(number, index) for number, g in enumerate(groups) for index in range(len(g))]
        audio_of = [groups[number][index] for number, index in flat]
        heard: list[list[tuple[str, float]]] = [[] for _ in flat]
        # Rounds 1 and 2 fill windows across calls (round 2 with only what round 1 lost, so its
        # pieces meet new neighbours); round 3 decodes each piece still without text alone.
        todo = list(range(len(flat)))
        for _ in range(2):
            todo = self._round(todo, flat, audio_of, heard)
        alone = self._decode_batch([audio_of[k] for k in todo])
        for k, segments in zip(todo, alone, strict=True):
            heard[k] = [(text, logprob) for _, _, text, logprob in segments]
        results: list[list[RecognisedText]] = [[] for _ in groups]
        for (number, _), parts in zip(flat, heard, strict=True):
            results[number].append(_joined(parts))
        return results

    def _round(
        self,
        todo: list[int],
        flat: list[tuple[int, int]],
        audio_of: list[Audio16k],
        heard: list[list[tuple[str, float]]],
    ) -> list[int]:
        """Decode ``todo`` packed; returns the pieces to try again (no text, or straddled)."""
        gaps = [
            CALL_GAP_S if i + 1 < len(todo) and flat[todo[i + 1]][0] != flat[k][0] else GAP_S
            for i, k in enumerate(todo)
        ]
        windows = [w.renumbered(todo) for w in pack_windows([len(audio_of[k]) for k in todo], gaps)]
        retry: set[int] = set()
        decoded = self._decode_batch([w.audio(audio_of) for w in windows])
        for window, segments in zip(windows, decoded, strict=True):
            for k in window.pieces:
                heard[k] = []
            for start, end, text, logprob in segments:
                touched = window.overlapping(start, end)
                if len({flat[k][0] for k in touched}) > 1:
                    retry.update(touched)  # straddles two calls
                    continue
                heard[window.owner(start, end)].append((text, logprob))
            if len(window.pieces) > 1:
                retry.update(k for k in window.pieces if not _said(heard[k]))
        for k in retry:
            heard[k] = []
        return sorted(retry)

    def _decode_batch(self, audios: Sequence[Audio16k]) -> list[list[Segment]]:
        out: list[list[Segment]] = []
        for first in range(0, len(audios), BATCH):
            out += self._decode_windows(audios[first : first + BATCH])
        return out

    def _decode_windows(self, audios: Sequence[Audio16k]) -> list[list[Segment]]:
        if not audios:
            return []
        frames = self.model.feature_extractor.nb_max_frames
        features = np.zeros((len(audios), self.model.model.n_mels, frames), dtype=np.float32)
        for row, audio in enumerate(audios):
            mel = self.model.feature_extractor(audio)[:, :frames]
            features[row, :, : mel.shape[1]] = mel
        encoded = self.model.model.encode(
            ctranslate2.StorageView.from_array(features), to_cpu=False
        )
        results = self.model.model.generate(
            encoded,
            [self._prompt] * len(audios),
            beam_size=self.options.beam_size,
            max_length=MAX_TOKENS,
            return_scores=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
            max_initial_timestamp_index=50,
        )
        return [
            self._segments(r.sequences_ids[0], r.scores[0], len(a) / 16000)
            for r, a in zip(results, audios, strict=True)
        ]

    def _segments(self, tokens: Sequence[int], score: float, length_s: float) -> list[Segment]:
        """Split at Whisper's timestamp tokens: <|t0|> text <|t1|><|t1|> text <|t2|> …"""
        begin = self.tokenizer.timestamp_begin
        avg = score * len(tokens) / (len(tokens) + 1)  # CTranslate2 returns the mean per token
        segments: list[Segment] = []
        start: float | None = None
        text: list[int] = []
        for token in tokens:
            if token < begin:
                text.append(token)
                continue
            moment = (token - begin) * TIME_PER_TOKEN
            if text:
                segments.append((start or 0.0, moment, self.tokenizer.decode(text), avg))
                text = []
            start = moment
        if text:  # ran out before a closing timestamp: it lasts to the window's end
            segments.append((start or 0.0, length_s, self.tokenizer.decode(text), avg))
        return [seg for seg in segments if seg[2].strip()]


Segment = tuple[float, float, str, float]
"""(start, end) seconds in the window, text, mean log-probability per token."""
BATCH = 8
"""Windows decoded together."""
MAX_TOKENS = 448
TIME_PER_TOKEN = 0.02


def _said(parts: list[tuple[str, float]]) -> bool:
    return bool("".join(text for text, _ in parts).strip())


def _joined(parts: list[tuple[str, float]]) -> RecognisedText:
    return RecognisedText(
        "".join(text for text, _ in parts),
        sum(lp for _, lp in parts) / len(parts) if parts else None,
    )


@dataclass(frozen=True)
class Window:
    """Pieces decoded together; ``spans`` are their (start, end) seconds inside the window."""

    pieces: tuple[int, ...]
    spans: tuple[tuple[float, float], ...]
    gaps: tuple[int, ...]
    """Samples of silence after each piece."""

    def audio(self, pieces: Sequence[Audio16k]) -> Audio16k:
        parts: list[Audio16k] = []
        for index, gap in zip(self.pieces, self.gaps, strict=True):
            parts += [pieces[index], np.zeros(gap, dtype=np.float32)]
        return np.concatenate(parts)

    def owner(self, start: float, end: float) -> int:
        """The piece a decoded segment [start, end) overlaps most (nearest if none)."""

        def score(k: int) -> tuple[float, float]:
            a, b = self.spans[k]
            overlap = min(end, b) - max(start, a)
            distance = min(abs(start - b), abs(end - a))
            return (overlap, -distance)

        best = max(range(len(self.pieces)), key=score)
        return self.pieces[best]

    def renumbered(self, numbers: Sequence[int]) -> Window:
        """The same window with its pieces named by ``numbers[piece]``."""
        return Window(tuple(numbers[i] for i in self.pieces), self.spans, self.gaps)

    def overlapping(self, start: float, end: float) -> list[int]:
        """The pieces a segment really reaches into (by more than ``STRADDLE_S``)."""
        return [
            piece
            for piece, (a, b) in zip(self.pieces, self.spans, strict=True)
            if min(end, b) - max(start, a) > STRADDLE_S
        ]


def pack_windows(
    lengths: Sequence[int], gaps_s: Sequence[float] | None = None, rate: int = 16000
) -> list[Window]:
    """Consecutive pieces, each followed by its silence (``GAP_S``), in windows of ``WINDOW_S``."""
    gaps = [int(g * rate) for g in (gaps_s or [GAP_S] * len(lengths))]
    windows: list[Window] = []
    current: list[int] = []
    spans: list[tuple[float, float]] = []
    cursor = 0
    for index, length in enumerate(lengths):
        if current and cursor + length > WINDOW_S * rate:
            windows.append(Window(tuple(current), tuple(spans), tuple(gaps[i] for i in current)))
            current, spans, cursor = [], [], 0
        current.append(index)
        spans.append((cursor / rate, (cursor + length) / rate))
        cursor += length + gaps[index]
    if current:
        windows.append(Window(tuple(current), tuple(spans), tuple(gaps[i] for i in current)))
    return windows


def _cuda_available() -> bool:
    try:
        return int(ctranslate2.get_cuda_device_count()) > 0
    except RuntimeError:
        return False
