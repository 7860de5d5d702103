"""``callwarden degrade IN OUT --condition mild|bad``: calls as a telephone line delivers them.

The same degradation ``callwarden eval --condition`` applies in memory, seeded
by the call id, so ``eval OUT`` scores what ``eval IN --condition`` scores. The
JSON labels are copied unchanged: the audio keeps its length, so their times hold.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import TextIO

from compliance.evaluation import read_labelled_set
from compliance.evaluation.labelled import AUDIO_SUFFIXES
from compliance.evaluation.telephone import CONDITIONS, Condition, degrade
from console.app import App
from console.call_audio import read_call_audio, write_call_audio
from console.errors import UsageError
from recorder.audio import RecordingAudio
from recorder.errors import BadRecording


def cmd_degrade(app: App, args: argparse.Namespace, out: TextIO) -> int:
    source, target = Path(args.input), Path(args.output)
    condition = CONDITIONS[args.condition]
    try:
        if source.is_dir():
            written = _degrade_dir(source, target, condition)
        elif source.is_file():
            written = [_degrade_file(source, target, condition)]
        else:
            raise UsageError(f"{source}: no such file or directory")
    except BadRecording as exc:
        raise UsageError(str(exc)) from exc
    print(f"{len(written)} 个通话已按 {condition.name} 线路处理 → {target}", file=out)
    return 0


def _degrade_dir(source: Path, target: Path, condition: Condition) -> list[Path]:
    if target.exists() and target.resolve() == source.resolve():
        raise UsageError(f"{target}: the output directory must not be the input")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: a directory was given as input, so OUT must be one too")
    calls = read_labelled_set(source, need_audio=True)  # refuses a bad set before writing
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for call in calls:
        assert call.audio is not None  # need_audio=True checked
        audio = target / call.audio.name
        _write(call.audio, audio, condition, call.call_id)
        shutil.copyfile(call.audio.with_suffix(".json"), target / f"{call.audio.stem}.json")
        written.append(audio)
    return written


def _degrade_file(source: Path, target: Path, condition: Condition) -> Path:
    if source.suffix.lower() not in AUDIO_SUFFIXES:
        raise UsageError(f"{source}: expected a .wav or .flac file")
    if target.is_dir():
        target = target / source.name
    if target.resolve() == source.resolve():
        raise UsageError(f"{target}: the output must not overwrite the input")
    label = source.with_suffix(".json")
    call_id = _call_id(label) if label.is_file() else source.stem
    _write(source, target, condition, call_id)
    if label.is_file():
        shutil.copyfile(label, target.with_suffix(".json"))
    return target


def _call_id(label: Path) -> str:
    """The seed is the call id, as in ``eval --condition``: the same call degrades the same."""
    try:
        found = json.loads(label.read_text(encoding="utf-8")).get("call_id")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise UsageError(f"{label}: not a labelled call's JSON ({exc})") from exc
    if not isinstance(found, str) or not found:
        raise UsageError(f"{label}: call_id: missing or not a string")
    return found


def _write(source: Path, target: Path, condition: Condition, call_id: str) -> None:
    audio = read_call_audio(source)
    heard = degrade(audio.channels, audio.rate, condition, call_id)
    write_call_audio(target, RecordingAudio(audio.rate, heard))
