"""Transcribe a call: per channel, speech found by VAD, each segment decoded by Whisper.

The recogniser is a small interface (``SpeechRecognizer``) so the pipeline can
be tested with a fake; ``WhisperRecognizer`` is the real one (faster-whisper,
loaded once per worker). Whisper base often answers in Traditional characters:
every text is converted to Simplified (OpenCC t2s) before anyone reads it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
import opencc

from recorder.audio import RecordingAudio, Samples, read_recording
from recorder.vad import Segment, VadSettings, speech_segments

with warnings.catch_warnings():
    # pydub imports audioop (deprecated in 3.11) and looks for ffmpeg, which WAV doesn't need.
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.simplefilter("ignore", RuntimeWarning)
    from pydub import AudioSegment

WHISPER_RATE = 16000
Speaker = Literal["agent", "callee", "unknown"]
Audio16k = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RecognisedText:
    text: str
    avg_logprob: float | None
    """Mean log-probability of the decoded tokens (closer to 0 is surer)."""
    alternatives: tuple[str, ...] = ()
    """What the decoder's runners-up heard instead (n-best), best first, without ``text``."""


class SpeechRecognizer(Protocol):
    def recognise_many(self, pieces: Sequence[Audio16k]) -> list[RecognisedText]:
        """Text of each stretch of 16 kHz mono speech (each at most 30 s), in order."""
        ...


@dataclass(frozen=True)
class TranscribedUtterance:
    speaker: Speaker
    start: float
    end: float
    """Seconds from the start of the call."""
    text: str
    """Simplified Chinese."""
    avg_logprob: float | None
    alternatives: tuple[str, ...] = ()
    """Other texts the decoder found likely for the same speech (Simplified), best first."""

    @property
    def confidence(self) -> float | None:
        """exp(mean token log-probability): 1 is certain; below about 0.5 often misheard."""
        return None if self.avg_logprob is None else math.exp(self.avg_logprob)


Heard = tuple[Speaker, Segment, Audio16k, int]
"""A stretch of speech: who, where in the call, its 16 kHz samples, its channel."""

_T2S = opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_T2S.convert(text))


class Transcriber:
    """VAD per channel, then one recognition per speech segment."""

    def __init__(self, recognizer: SpeechRecognizer, vad: VadSettings | None = None) -> None:
        self.recognizer = recognizer
        self.vad = vad or VadSettings()

    def transcribe_file(self, path: Path, agent_channel: int | None) -> list[TranscribedUtterance]:
        return self.transcribe_audio(read_recording(path), agent_channel)

    def transcribe_audio(
        self, audio: RecordingAudio, agent_channel: int | None
    ) -> list[TranscribedUtterance]:
        """Utterances of both sides in time order; a mono call's speaker is ``unknown``."""
        return self.transcribe_many([(audio, agent_channel)])[0]

    def transcribe_many(
        self, calls: Sequence[tuple[RecordingAudio, int | None]]
    ) -> list[list[TranscribedUtterance]]:
        """Several calls at once: a recogniser that batches decodes them together."""
        found = [self._speech(audio, agent_channel) for audio, agent_channel in calls]
        groups = [[piece for _, _, piece, _ in speech] for speech in found]
        batch = getattr(self.recognizer, "recognise_batch", None)
        if batch is not None:
            heard: list[list[RecognisedText]] = batch(groups)
        else:  # a plain recogniser hears one channel at a time
            heard = [self._by_channel(speech) for speech in found]
        return [_utterances(speech, said) for speech, said in zip(found, heard, strict=True)]

    def _by_channel(self, speech: list[Heard]) -> list[RecognisedText]:
        heard: list[RecognisedText] = []
        for _, run in groupby(speech, key=lambda item: item[3]):
            pieces = [piece for _, _, piece, _ in run]
            heard += self.recognizer.recognise_many(pieces)
        return heard

    def _speech(self, audio: RecordingAudio, agent_channel: int | None) -> list[Heard]:
        """Every channel's speech, channel by channel: (speaker, where, 16 kHz samples)."""
        speech: list[Heard] = []
        for number, samples in enumerate(audio.channels):
            speaker = _speaker(number, len(audio.channels), agent_channel)
            for segment in speech_segments(samples, audio.rate, self.vad):
                piece = to_whisper_rate(_slice(samples, audio.rate, segment), audio.rate)
                speech.append((speaker, segment, piece, number))
        return speech


def _utterances(speech: list[Heard], heard: list[RecognisedText]) -> list[TranscribedUtterance]:
    utterances = []
    for (speaker, segment, _, _), result in zip(speech, heard, strict=True):
        text = to_simplified(result.text).strip()
        if text:
            others = (to_simplified(other).strip() for other in result.alternatives)
            alternatives = tuple(dict.fromkeys(o for o in others if o and o != text))
            utterances.append(
                TranscribedUtterance(
                    speaker, segment.start, segment.end, text, result.avg_logprob, alternatives
                )
            )
    return sorted(utterances, key=lambda u: (u.start, u.speaker))


def _speaker(channel: int, channels: int, agent_channel: int | None) -> Speaker:
    if channels == 1 or agent_channel is None:
        return "unknown"
    return "agent" if channel == agent_channel else "callee"


def _slice(samples: Samples, rate: int, segment: Segment) -> Samples:
    return samples[int(segment.start * rate) : int(segment.end * rate)]


def to_whisper_rate(samples: Samples, rate: int) -> Audio16k:
    """16 kHz float32 in [-1, 1], as Whisper reads it."""
    if rate != WHISPER_RATE:
        segment = AudioSegment(data=samples.tobytes(), sample_width=2, frame_rate=rate, channels=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resampled = segment.set_frame_rate(WHISPER_RATE)
        samples = np.frombuffer(resampled.raw_data, dtype="<i2")
    return (samples.astype(np.float32) / 32768.0).astype(np.float32)
