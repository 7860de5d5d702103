"""The real recogniser: faster-whisper (CTranslate2), loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ctranslate2
from faster_whisper import WhisperModel

from config.settings import TranscriberSettings
from transcriber.asr import Audio16k, RecognisedText
from transcriber.errors import ModelUnavailable


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

    def recognise(self, audio: Audio16k) -> RecognisedText:
        segments, _ = self.model.transcribe(
            audio,
            language=self.options.language,
            beam_size=self.options.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
            no_speech_threshold=self.options.no_speech_threshold,
        )
        parts = list(segments)
        text = "".join(part.text for part in parts)
        logprob = sum(p.avg_logprob for p in parts) / len(parts) if parts else None
        return RecognisedText(text, logprob)


def _cuda_available() -> bool:
    try:
        return int(ctranslate2.get_cuda_device_count()) > 0
    except RuntimeError:
        return False
