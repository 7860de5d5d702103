"""Read a directory of labelled calls (../shared/specs/labelled-calls.md).

Audio is NAME.wav as the spec says, or NAME.flac (lossless 16-bit, the same
channels and rate): the project's evaluation set is stored as FLAC to keep the
repository small. A call with both is refused: which one would be scored?
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compliance.detector import Utterance
from compliance.errors import LabelledSetError

ContactType = Literal["debtor", "family", "colleague", "emergency", "other", "unknown"]
SpeakerName = Literal["agent", "callee", "unknown"]


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True)  # unknown keys are allowed: sets may carry more


class LabelSpec(_Spec):
    category: str = Field(min_length=1)
    speaker: SpeakerName = "unknown"
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str = ""


class LineSpec(_Spec):
    speaker: SpeakerName
    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str


class CallSpec(_Spec):
    call_id: str = Field(min_length=1)
    contact_type: ContactType = "unknown"
    agent_channel: int | None = Field(default=None, ge=0, le=1)
    sample_rate: int | None = None
    duration: float | None = None
    violations: tuple[LabelSpec, ...] = ()
    events: tuple[LabelSpec, ...] = ()
    transcript: tuple[LineSpec, ...] = ()


AUDIO_SUFFIXES = (".wav", ".flac")


@dataclass(frozen=True)
class LabelledCall:
    spec: CallSpec
    audio: Path | None
    """NAME.wav or NAME.flac beside the JSON (None when only the transcript exists)."""

    @property
    def call_id(self) -> str:
        return self.spec.call_id

    @property
    def labels(self) -> tuple[LabelSpec, ...]:
        return self.spec.violations + self.spec.events

    def utterances(self) -> list[Utterance]:
        return [Utterance(u.speaker, u.start, u.end, u.text) for u in self.spec.transcript]


def read_labelled_set(folder: Path, need_audio: bool = False) -> list[LabelledCall]:
    """Every NAME.json (with NAME.wav or NAME.flac) in ``folder``; all problems at once."""
    if not folder.is_dir():
        raise LabelledSetError([f"{folder}: not a directory"])
    calls: list[LabelledCall] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.json")):
        found = [path.with_suffix(s) for s in AUDIO_SUFFIXES if path.with_suffix(s).is_file()]
        try:
            spec = CallSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{path}: not JSON text: {exc}")
            continue
        except ValidationError as exc:
            problems.extend(f"{path}: {_where(err)}: {err['msg']}" for err in exc.errors())
            continue
        if spec.call_id in seen:
            problems.append(f"{path}: call_id: {spec.call_id!r} also in {seen[spec.call_id]}")
        seen[spec.call_id] = path
        if len(found) > 1:
            problems.append(f"{path}: both {found[0].name} and {found[1].name}; keep one")
        elif need_audio and not found:
            problems.append(
                f"{path}: no {path.stem}.wav beside it (or {path.stem}.flac; "
                "needed without --text-only)"
            )
        calls.append(LabelledCall(spec, found[0] if found else None))
    if not calls and not problems:
        problems.append(f"{folder}: no labelled calls (NAME.json + NAME.wav/.flac) in it")
    if problems:
        raise LabelledSetError(problems)
    return calls


def _where(err: Any) -> str:
    return ".".join(str(part) for part in err["loc"]) or "(top level)"
