"""``callwarden eval`` and ``callwarden lexicon check``: the detector, measured and checked."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from compliance.detector import CallContext, Detector, Flag, Utterance
from compliance.evaluation import (
    KeywordBaseline,
    LabelledCall,
    Predictor,
    Report,
    evaluate,
    read_labelled_set,
)
from compliance.lexicon import LexiconFile, load_lexicon
from console.app import App


def active_lexicon(app: App, name: str | None = None) -> LexiconFile:
    """The named lexicon (or the configured one), searching the admins' folder first."""
    admin_dir = app.settings.paths.var_dir / "lexicon"
    return load_lexicon(name or app.settings.detector.lexicon, search=(admin_dir,))


def cmd_lexicon_check(app: App, args: argparse.Namespace, out: TextIO) -> int:
    lexicon = load_lexicon(Path(args.file))
    phrases = sum(len(r.phrases) + sum(len(g) for g in r.sequence) for r in lexicon.rules)
    print(
        f"{args.file}: ok — version {lexicon.version}, {len(lexicon.categories)} categories, "
        f"{len(lexicon.rules)} rules ({phrases} phrases), {len(lexicon.clears)} clearing contexts",
        file=out,
    )
    return 0


def cmd_eval(app: App, args: argparse.Namespace, out: TextIO) -> int:
    lexicon = active_lexicon(app, args.lexicon)
    calls = read_labelled_set(Path(args.dir), need_audio=not args.text_only)
    finder: Detector | KeywordBaseline = (
        KeywordBaseline(lexicon) if args.baseline == "keywords" else Detector(lexicon)
    )
    predict = _on_transcripts(finder) if args.text_only else _on_audio(app, finder, lexicon)
    result = evaluate(calls, predict, lexicon.categories)
    if args.predictions:
        lines = [json.dumps(p.as_json(), ensure_ascii=False) for p in result.predictions]
        Path(args.predictions).write_text("".join(f"{line}\n" for line in lines), "utf-8")
    if args.json:
        print(json.dumps(result.report.as_json(), ensure_ascii=False), file=out)
    else:
        mode = "transcripts" if args.text_only else "audio"
        who = "keyword baseline" if args.baseline else f"detector {finder_version(finder)}"
        print(f"{len(calls)} calls, {who}, on {mode}", file=out)
        print(format_report(result.report), file=out)
    return 0


def finder_version(finder: Detector | KeywordBaseline) -> str:
    return finder.version if isinstance(finder, Detector) else "keywords"


def _flags(
    finder: Detector | KeywordBaseline, call: LabelledCall, utterances: Sequence[Utterance]
) -> Sequence[Flag]:
    context = CallContext(call.spec.contact_type)
    if isinstance(finder, Detector):
        return finder.detect(utterances, context).flags
    return finder.detect(utterances, context)


def _on_transcripts(finder: Detector | KeywordBaseline) -> Predictor:
    def predict(call: LabelledCall) -> Sequence[Flag]:
        return _flags(finder, call, call.utterances())

    return predict


def _on_audio(app: App, finder: Detector | KeywordBaseline, lexicon: LexiconFile) -> Predictor:
    # faster-whisper takes a second to import: only audio evaluation pays for it
    from transcriber import open_transcriber  # noqa: PLC0415

    settings = app.settings
    transcriber = open_transcriber(settings.transcriber, settings.paths.var_dir, lexicon)

    def predict(call: LabelledCall) -> Sequence[Flag]:
        assert call.wav is not None  # read_labelled_set(need_audio=True) checked
        heard = transcriber.transcribe_file(call.wav, call.spec.agent_channel)
        utterances = [Utterance(u.speaker, u.start, u.end, u.text) for u in heard]
        return _flags(finder, call, utterances)

    return predict


def format_report(report: Report) -> str:
    rows = [f"{'category':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'tp':>5}{'fp':>5}{'fn':>5}"]
    entries = [*sorted(report.per_category.items()), ("overall", report.overall)]
    for name, counts in entries:
        rows.append(
            f"{name:<24}{counts.precision:>10.3f}{counts.recall:>8.3f}{counts.f1:>8.3f}"
            f"{counts.tp:>5}{counts.fp:>5}{counts.fn:>5}"
        )
    return "\n".join(rows)
