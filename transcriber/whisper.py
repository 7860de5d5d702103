"""The real recogniser: faster-whisper (CTranslate2), loaded once per process."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import get_suppressed_tokens

from config.settings import TranscriberSettings
from transcriber.asr import Audio16k, RecognisedText
from transcriber.errors import ModelUnavailable
from transcriber.prompt import is_echo, is_runaway
from transcriber.windows import WINDOW_S, Window, pack_windows


@dataclass(frozen=True)
class DecodeOptions:
    language: str = "zh"
    beam_size: int = 1
    hypotheses: int = 1
    """Hypotheses kept per window (the best and its runners-up, as alternative texts)."""
    prompt: str = ""
    """Earlier text Whisper is told came before (the domain vocabulary); empty for none."""


@dataclass(frozen=True)
class Hypothesis:
    """One decoding of a window: segments (start, end seconds, text), mean log-probability."""

    segments: tuple[tuple[float, float, str], ...]
    avg_logprob: float


@dataclass
class _Heard:
    """What one piece got so far: best text parts, their log-probabilities, runners-up."""

    parts: list[str] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    others: list[str] = field(default_factory=list)

    def said(self) -> bool:
        return bool("".join(self.parts).strip())

    def result(self) -> RecognisedText:
        text = "".join(self.parts)
        alternatives = tuple(dict.fromkeys(o for o in self.others if o.strip() and o != text))
        logprob = sum(self.logprobs) / len(self.logprobs) if self.logprobs else None
        return RecognisedText(text, logprob, alternatives)


class WhisperRecognizer:
    """Temperature 0, the domain prompt as the only earlier text: reproducible.

    Windows are encoded and decoded in batches straight through CTranslate2:
    decoding eight windows at once costs about a third as much per window as
    decoding them one by one (the vocabulary projection becomes a matrix
    product), so a worker with several recordings waiting hands them over
    together (``recognise_batch``). A window holds one call's speech only, and
    a batch's windows are decoded independently of each other, so a call's text
    never depends on which calls share its batch.
    """

    frames = 3000
    """Mel frames the encoder reads per window: Whisper's 30 s, unless ``shorter``."""
    window_s = WINDOW_S
    """How much speech is packed into one window."""

    def __init__(self, model_dir: Path, settings: TranscriberSettings, prompt: str = "") -> None:
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
        self.options = DecodeOptions(
            beam_size=settings.beam_size,
            hypotheses=min(settings.alternatives + 1, settings.beam_size),
            prompt=prompt,
        )
        self.tokenizer = Tokenizer(
            self.model.hf_tokenizer, True, task="transcribe", language=self.options.language
        )
        self._suppress = get_suppressed_tokens(self.tokenizer, (-1,))

    def shorter(self, encoder_s: float) -> WhisperRecognizer:
        """The same model reading ``encoder_s`` of audio per window instead of 30 s: the
        encoder's cost falls with it (measured: an 8 s piece 0.24 CPU s as 10 s, 1.71 s as
        30 s). For the live path's short pieces (``max_piece_s`` ≤ ``encoder_s`` − 2, which the
        settings check): windows are packed to 2 s less, so no piece is cut. The batch
        pipeline's utterances can be longer: it keeps 30 s."""
        view = copy.copy(self)
        view.frames = min(self.frames, round(encoder_s * 100))
        view.window_s = min(WINDOW_S, encoder_s - 2.0)
        return view

    def _start(self, prompted: bool) -> list[int]:
        """The decoder's first tokens: the prompt as previous text (if any), then the task."""
        task = [self.tokenizer.sot, self.tokenizer.language, self.tokenizer.transcribe]
        if not (prompted and self.options.prompt):
            return task
        earlier = self.tokenizer.encode(" " + self.options.prompt.strip())[-(MAX_TOKENS // 2 - 1) :]
        return [self.tokenizer.sot_prev, *earlier, *task]

    def recognise_many(self, pieces: Sequence[Audio16k]) -> list[RecognisedText]:
        return self.recognise_batch([pieces])[0]

    def recognise_batch(self, groups: Sequence[Sequence[Audio16k]]) -> list[list[RecognisedText]]:
        """The pieces of several calls (one group each), packed into windows and decoded in batches.

        Each call's pieces are packed into windows of that call alone (see
        ``windows``); the windows of all calls are decoded together. Each decoded
        segment goes back to the piece it was heard in; a segment running over
        several pieces goes to none, and those pieces are decoded again. Whisper sometimes ends
        a window early and skips what follows: a piece that got no text is packed
        again with the other such pieces of its call, then decoded alone. A piece
        still without text (Whisper may answer with the prompt, which is
        dropped) is decoded alone once more without the prompt, so VAD's speech
        is never lost to the prompt; so is a piece whose prompted text ran away
        into a loop (``is_runaway``).
        """
        flat = [(number, index) for number, g in enumerate(groups) for index in range(len(g))]
        audio_of = [groups[number][index] for number, index in flat]
        heard = [_Heard() for _ in flat]
        todo = list(range(len(flat)))
        decoded: set[tuple[int, ...]] = set()
        for _ in range(2):
            todo = self._round(todo, flat, audio_of, heard, decoded)
        self._alone(todo, audio_of, heard, prompted=True)
        if self.options.prompt:
            again = [k for k, h in enumerate(heard) if not h.said() or _looped(h, audio_of[k])]
            self._alone(again, audio_of, heard, False)
        results: list[list[RecognisedText]] = [[] for _ in groups]
        for (number, _), piece in zip(flat, heard, strict=True):
            results[number].append(piece.result())
        return results

    def _round(
        self,
        todo: list[int],
        flat: list[tuple[int, int]],
        audio_of: list[Audio16k],
        heard: list[_Heard],
        done: set[tuple[int, ...]],
    ) -> list[int]:
        """Decode ``todo`` packed call by call; returns the pieces still without text.

        A window ``done`` already holds the same audio and would decode the same
        (greedy, batch-independent): its pieces go on to the next round as they are.
        """
        windows: list[Window] = []
        retry: list[int] = []
        for _, run in groupby(todo, key=lambda k: flat[k][0]):
            mine = list(run)
            for w in pack_windows([len(audio_of[k]) for k in mine], window_s=self.window_s):
                window = w.renumbered(mine)
                if window.pieces in done:
                    retry += [k for k in window.pieces if len(window.pieces) > 1]
                else:
                    windows.append(window)
        done.update(w.pieces for w in windows)
        decoded = self._decode_batch([w.audio(audio_of) for w in windows], prompted=True)
        for window, hypotheses in zip(windows, decoded, strict=True):
            for k in window.pieces:
                heard[k] = _Heard()
            _hand_out(window, hypotheses, heard)
            if len(window.pieces) > 1:
                retry += [k for k in window.pieces if not heard[k].said()]
        for k in retry:
            heard[k] = _Heard()
        return sorted(retry)

    def _alone(
        self, todo: list[int], audio_of: list[Audio16k], heard: list[_Heard], prompted: bool
    ) -> None:
        """Decode each piece in ``todo`` as its own window."""
        decoded = self._decode_batch([audio_of[k] for k in todo], prompted)
        for k, hypotheses in zip(todo, decoded, strict=True):
            heard[k] = _Heard()
            whole = Window((k,), ((0.0, len(audio_of[k]) / 16000),), 0)
            _hand_out(whole, hypotheses, heard)

    def _decode_batch(self, audios: Sequence[Audio16k], prompted: bool) -> list[list[Hypothesis]]:
        out: list[list[Hypothesis]] = []
        for first in range(0, len(audios), BATCH):
            out += self._decode_windows(audios[first : first + BATCH], prompted)
        return out

    def _decode_windows(self, audios: Sequence[Audio16k], prompted: bool) -> list[list[Hypothesis]]:
        if not audios:
            return []
        frames = self.frames
        features = np.zeros((len(audios), self.model.model.n_mels, frames), dtype=np.float32)
        for row, audio in enumerate(audios):
            mel = self.model.feature_extractor(audio)[:, :frames]
            features[row, :, : mel.shape[1]] = mel
        encoded = self.model.model.encode(
            ctranslate2.StorageView.from_array(features), to_cpu=False
        )
        results = self.model.model.generate(
            encoded,
            [self._start(prompted)] * len(audios),
            beam_size=self.options.beam_size,
            num_hypotheses=self.options.hypotheses,
            max_length=MAX_TOKENS,
            return_scores=True,
            suppress_blank=True,
            suppress_tokens=self._suppress,
            max_initial_timestamp_index=50,
        )
        return [
            [
                self._hypothesis(tokens, score, len(audio) / 16000, prompted)
                for tokens, score in zip(r.sequences_ids, r.scores, strict=True)
            ]
            for r, audio in zip(results, audios, strict=True)
        ]

    def _hypothesis(
        self, tokens: Sequence[int], score: float, length_s: float, prompted: bool
    ) -> Hypothesis:
        """Split at Whisper's timestamp tokens: <|t0|> text <|t1|><|t1|> text <|t2|> …

        A segment that repeats the prompt is not speech and is dropped.
        """
        begin = self.tokenizer.timestamp_begin
        segments: list[tuple[float, float, str]] = []
        start: float | None = None
        text: list[int] = []
        for token in tokens:
            if token < begin:
                text.append(token)
                continue
            moment = (token - begin) * TIME_PER_TOKEN
            if text:
                segments.append((start or 0.0, moment, self.tokenizer.decode(text)))
                text = []
            start = moment
        if text:  # ran out before a closing timestamp: it lasts to the window's end
            segments.append((start or 0.0, length_s, self.tokenizer.decode(text)))
        prompt = self.options.prompt if prompted else ""
        kept = [s for s in segments if s[2].strip() and not is_echo(s[2], prompt)]
        # CTranslate2 scores the mean log-probability per token, the end token included
        return Hypothesis(tuple(kept), score * len(tokens) / (len(tokens) + 1))


BATCH = 8
"""Windows decoded together."""
MAX_TOKENS = 448
TIME_PER_TOKEN = 0.02


def _hand_out(window: Window, hypotheses: Sequence[Hypothesis], heard: list[_Heard]) -> None:
    """Give each segment of each hypothesis to the piece it was heard in.

    Where the best hypothesis has a segment running over several pieces, those
    pieces get nothing from this window (no runner-up either): left without
    text, they are decoded again in a smaller window or alone.
    """
    unsure = _unsure(window, hypotheses[0]) if hypotheses else set()
    for rank, hypothesis in enumerate(hypotheses):
        texts: dict[int, list[str]] = {}
        for start, end, text in hypothesis.segments:
            k = window.owner(start, end)
            if k is not None and k not in unsure:
                texts.setdefault(k, []).append(text)
        for k, parts in texts.items():
            if rank == 0:
                heard[k].parts += parts
                heard[k].logprobs.append(hypothesis.avg_logprob)
            else:
                heard[k].others.append("".join(parts))


def _unsure(window: Window, hypothesis: Hypothesis) -> set[int]:
    """Pieces under a segment of ``hypothesis`` that runs over more than one piece."""
    unsure: set[int] = set()
    for start, end, _ in hypothesis.segments:
        if window.owner(start, end) is None:
            unsure.update(window.covered(start, end))
    return unsure


def _looped(piece: _Heard, audio: Audio16k) -> bool:
    return is_runaway("".join(piece.parts), len(audio) / 16000)


def _cuda_available() -> bool:
    try:
        return int(ctranslate2.get_cuda_device_count()) > 0
    except RuntimeError:
        return False
