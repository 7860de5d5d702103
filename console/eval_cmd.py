"""``callwarden eval``, ``callwarden lexicon check`` and ``lexicon phrases``: the detector,
measured and checked, and the approved phrases checked against it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from compliance.detector import CallContext, Detector, Flag, Review, Utterance
from compliance.errors import LabelledSetError
from compliance.evaluation import (
    Evaluation,
    KeywordBaseline,
    LabelledCall,
    Predictor,
    Report,
    evaluate,
    read_labelled_set,
)
from compliance.evaluation.cer import CerReport, cer_report
from compliance.evaluation.telephone import CONDITIONS, Condition, degrade
from compliance.lexicon import LexiconFile, load_lexicon
from compliance.phrases import load_phrases, tripped
from console.app import App
from console.call_audio import read_call_audio
from console.errors import UsageError
from recorder.audio import RecordingAudio
from recorder.errors import BadRecording
from transcriber.asr import TranscribedUtterance
from transcriber.live import hear_as_live


def cmd_lexicon_check(app: App, args: argparse.Namespace, out: TextIO) -> int:
    lexicon = load_lexicon(Path(args.file))
    phrases = sum(len(r.phrases) + sum(len(g) for g in r.sequence) for r in lexicon.rules)
    print(
        f"{args.file}: ok — version {lexicon.version}, {len(lexicon.categories)} categories, "
        f"{len(lexicon.rules)} rules ({phrases} phrases), {len(lexicon.clears)} clearing contexts",
        file=out,
    )
    return 0


def cmd_phrases_check(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Validate a phrases file and run each phrase through its lexicon (the one of the same
    name, the admins' copy first, or ``--lexicon``): 1 when the detector flags one."""
    path = Path(args.file)
    book = load_phrases(path)
    lexicon = app.lexicon(args.lexicon or path.stem)
    problems = tripped(book, Detector(lexicon), str(path))
    for problem in problems:
        print(problem, file=out)
    phrases = sum(len(s.phrases) for s in book.situations.values())
    verdict = f"{len(problems)} flagged" if problems else "none flagged"
    print(
        f"{path}: version {book.version}, {len(book.situations)} situations, {phrases} phrases; "
        f"through lexicon {lexicon.version}: {verdict}",
        file=out,
    )
    return 1 if problems else 0


def cmd_eval(app: App, args: argparse.Namespace, out: TextIO) -> int:
    lexicon = app.lexicon(args.lexicon)
    if args.text_only and (args.condition is not None or args.heard or args.live):
        raise UsageError("--condition, --heard and --live need the audio; not with --text-only")
    condition = CONDITIONS[args.condition or "clean"]
    calls = read_labelled_set(Path(args.dir), need_audio=not args.text_only)
    finder: Detector | KeywordBaseline = (
        KeywordBaseline(lexicon) if args.baseline == "keywords" else Detector(lexicon)
    )
    heard: dict[str, list[Utterance]] = {}
    listen: Listened = []
    if args.text_only:
        predict = _on_transcripts(finder, listen)
    else:
        hear = _live_hearing(app, lexicon) if args.live else _batch_hearing(app, lexicon)
        predict = _on_audio(hear, (finder, listen), condition, heard)
    result = evaluate(calls, predict, lexicon.categories)
    load = workload(calls, result, listen)
    cer = None if args.text_only else cer_report((c.utterances(), heard[c.call_id]) for c in calls)
    if args.heard:
        write_heard(Path(args.heard), calls, heard)
    if args.predictions:
        lines = [json.dumps(p.as_json(), ensure_ascii=False) for p in result.predictions]
        Path(args.predictions).write_text("".join(f"{line}\n" for line in lines), "utf-8")
    if args.json:
        extra = {} if cer is None else {"condition": condition.name, "cer": cer.as_json()}
        extra["workload"] = load
        print(json.dumps({**result.report.as_json(), **extra}, ensure_ascii=False), file=out)
    else:
        mode = "transcripts" if args.text_only else f"audio, {condition.name} line"
        mode += ", heard live" if args.live else ""
        who = "keyword baseline" if args.baseline else f"detector {finder_version(finder)}"
        print(f"{len(calls)} calls, {who}, on {mode}", file=out)
        print(format_report(result.report), file=out)
        print(
            f"false flags per hour of calls: {load['false_flags_per_hour']} "
            f"(on the compliant calls alone: {load['compliant_false_flags_per_hour']}); "
            f"to listen to (待复听): {load['review_lines']} lines, "
            f"{load['review_minutes_per_100_calls']} min per 100 calls",
            file=out,
        )
        if cer is not None:
            print(format_cer(cer), file=out)
    return 0


def write_heard(
    folder: Path, calls: Sequence[LabelledCall], heard: dict[str, list[Utterance]]
) -> None:
    """Each call's spec with the transcript the ASR produced: a labelled set of its own."""
    folder.mkdir(parents=True, exist_ok=True)
    for call in calls:
        lines = [
            {"speaker": u.speaker, "start": u.start, "end": u.end, "text": u.text}
            for u in heard[call.call_id]
        ]
        spec = {**call.spec.model_dump(mode="json"), "transcript": lines}
        text = json.dumps(spec, ensure_ascii=False, indent=1)
        (folder / f"{call.call_id}.json").write_text(text + "\n", encoding="utf-8")


def workload(
    calls: Sequence[LabelledCall], result: Evaluation, listen: Listened
) -> dict[str, float]:
    """What the result costs people: false flags per hour of calls (all, and on the compliant
    calls alone: routine work, where every flag is false), and the minutes of audio per 100
    calls the "listen to this" queue asks QA for (each listed line once)."""
    hours = sum(_duration(call) for call in calls) / 3600
    routine = {call.call_id: _duration(call) for call in calls if not call.labels}
    routine_hours = sum(routine.values()) / 3600
    routine_flags = sum(1 for p in result.predictions if p.call_id in routine)
    false_flags = result.report.overall.fp
    lines = {(call_id, r.start, r.end) for call_id, r in listen}
    minutes = sum(end - start for _, start, end in lines) / 60
    return {
        "hours": round(hours, 3),
        "false_flags_per_hour": round(false_flags / hours, 2) if hours else 0.0,
        "compliant_hours": round(routine_hours, 3),
        "compliant_false_flags_per_hour": (
            round(routine_flags / routine_hours, 2) if routine_hours else 0.0
        ),
        "review_lines": len(lines),
        "review_minutes_per_100_calls": round(minutes * 100 / max(1, len(calls)), 2),
    }


def _duration(call: LabelledCall) -> float:
    ends = [u.end for u in call.spec.transcript] + [x.end for x in call.labels]
    return call.spec.duration or max(ends, default=0.0)


def finder_version(finder: Detector | KeywordBaseline) -> str:
    return finder.version if isinstance(finder, Detector) else "keywords"


Listened = list[tuple[str, Review]]
"""Each call's lines for QA to listen to, by call id."""


def _flags(
    finder: tuple[Detector | KeywordBaseline, Listened],
    call: LabelledCall,
    utterances: Sequence[Utterance],
) -> Sequence[Flag]:
    context = CallContext(call.spec.contact_type)
    detector, listen = finder
    if isinstance(detector, Detector):
        found = detector.detect(utterances, context)
        listen.extend((call.call_id, review) for review in found.review)
        return found.flags
    return detector.detect(utterances, context)


def _on_transcripts(finder: Detector | KeywordBaseline, listen: Listened) -> Predictor:
    def predict(call: LabelledCall) -> Sequence[Flag]:
        return _flags((finder, listen), call, call.utterances())

    return predict


Hearing = Callable[[RecordingAudio, int | None], Sequence[TranscribedUtterance]]


def _batch_hearing(app: App, lexicon: LexiconFile) -> Hearing:
    return app.transcriber(lexicon).transcribe_audio


def _live_hearing(app: App, lexicon: LexiconFile) -> Hearing:
    transcriber = app.transcriber(lexicon)
    settings = (transcriber.vad, app.settings.live.max_piece_s)

    def hear(audio: RecordingAudio, agent_channel: int | None) -> Sequence[TranscribedUtterance]:
        if agent_channel is None or len(audio.channels) != 2:
            raise UsageError("--live hears two-channel calls with a known agent channel")
        return hear_as_live(transcriber.recognizer, audio, agent_channel, settings)

    return hear


def _on_audio(
    hear: Hearing,
    finder: tuple[Detector | KeywordBaseline, Listened],
    condition: Condition,
    heard: dict[str, list[Utterance]],
) -> Predictor:
    """Transcribe each call as heard through ``condition``; keep what was heard for the CER."""

    def predict(call: LabelledCall) -> Sequence[Flag]:
        said = hear(call_audio(call, condition), call.spec.agent_channel)
        utterances = [Utterance(u.speaker, u.start, u.end, u.text) for u in said]
        heard[call.call_id] = utterances
        return _flags(finder, call, utterances)

    return predict


def call_audio(call: LabelledCall, condition: Condition) -> RecordingAudio:
    """The call's audio through ``condition``'s line (seeded by the call id: reproducible)."""
    assert call.audio is not None  # read_labelled_set(need_audio=True) checked
    try:
        audio = read_call_audio(call.audio)
    except BadRecording as exc:
        raise LabelledSetError([str(exc)]) from exc
    return RecordingAudio(audio.rate, degrade(audio.channels, audio.rate, condition, call.call_id))


def format_report(report: Report) -> str:
    rows = [f"{'category':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'tp':>5}{'fp':>5}{'fn':>5}"]
    entries = [*sorted(report.per_category.items()), ("overall", report.overall)]
    for name, counts in entries:
        rows.append(
            f"{name:<24}{counts.precision:>10.3f}{counts.recall:>8.3f}{counts.f1:>8.3f}"
            f"{counts.tp:>5}{counts.fp:>5}{counts.fn:>5}"
        )
    return "\n".join(rows)


def format_cer(cer: CerReport) -> str:
    sides = ", ".join(f"{k} {v.rate:.3f}" for k, v in sorted(cer.per_speaker.items()))
    return f"character error rate {cer.overall.rate:.3f} ({sides})"
