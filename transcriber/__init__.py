"""Speech to text: model resolution, per-channel VAD, faster-whisper, Simplified output."""

from __future__ import annotations

from pathlib import Path

from compliance.lexicon import LexiconFile
from config.settings import TranscriberSettings
from recorder.vad import VadSettings
from transcriber.asr import (
    RecognisedText,
    SpeechRecognizer,
    TranscribedUtterance,
    Transcriber,
    to_simplified,
)
from transcriber.errors import ModelUnavailable, TranscriberError
from transcriber.model import resolve_model
from transcriber.prompt import domain_prompt, lexicon_words


def open_transcriber(
    settings: TranscriberSettings, var_dir: Path = Path("var"), lexicon: LexiconFile | None = None
) -> Transcriber:
    """A transcriber with the configured model loaded (once; reuse it for every file).

    With ``lexicon`` (the active one), decoding is biased toward its vocabulary
    (``settings.prompt_chars`` characters of it; see ``transcriber.prompt``).
    """
    # faster-whisper and CTranslate2 load here, not when the package is imported
    from transcriber.whisper import WhisperRecognizer  # noqa: PLC0415

    model_dir = resolve_model(settings.model, var_dir)
    vad = VadSettings(aggressiveness=settings.vad_aggressiveness)
    prompt = domain_prompt(lexicon_words(lexicon), settings.prompt_chars) if lexicon else ""
    return Transcriber(WhisperRecognizer(model_dir, settings, prompt), vad)


__all__ = [
    "ModelUnavailable",
    "RecognisedText",
    "SpeechRecognizer",
    "TranscribedUtterance",
    "Transcriber",
    "TranscriberError",
    "open_transcriber",
    "resolve_model",
    "to_simplified",
]
