"""``callwarden live``: follow the calls in progress in MixMonitor's spool (issue 18).

A process of its own, beside the dialer: the dial loop and the gate never wait
for it, and stopping it (or its dying) leaves every call recorded for the batch
pipeline.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TextIO

from compliance.detector import Detector
from console.app import App
from console.detection import detect_with
from console.listen_in import ListenIn, prompter, sandbox_link
from console.spool import spool_dir
from store.types import utcnow
from transcriber.live import LiveDeps, SpoolWatcher

log = logging.getLogger(__name__)


def add_live_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    live = sub.add_parser(
        "live", help="transcribe and check calls while they are up (实时转写与质检)"
    )
    live.add_argument("--spool", help="MixMonitor's folder (default: the sandbox's)")
    live.set_defaults(handler=cmd_live)


def cmd_live(app: App, args: argparse.Namespace, out: TextIO) -> int:
    """Follow each new call's two direction files until stopped (Ctrl-C)."""
    app.require_schema()
    spool = spool_dir(app, args.spool)
    if spool is None:
        return 2
    lexicon = app.lexicon()
    unknown = sorted(set(app.settings.live.actions) - set(lexicon.categories))
    if unknown:
        print(
            "callwarden: [live.actions] names categories the lexicon does not have: "
            + ", ".join(unknown),
            file=sys.stderr,
        )
        return 2
    sound = app.settings.live.prompt_sound
    recognizer = app.transcriber(lexicon).recognizer
    encoder_s = app.settings.live.encoder_s
    shorter = getattr(recognizer, "shorter", None)  # the Whisper recogniser's; loaded lazily
    if encoder_s < 30 and shorter is not None:
        recognizer = shorter(encoder_s)
    deps = LiveDeps(
        sessions=app.sessions,
        recognizer=recognizer,
        detect=detect_with(Detector(lexicon)),
        settings=app.settings.live,
        clock=utcnow,
        prompt=prompter(ListenIn(sandbox_link(app)), sound) if sound else None,
    )
    watcher = SpoolWatcher(deps, spool, lambda attempt, exc: log.error("%s: %s", attempt, exc))
    print(f"实时跟踪 / following calls in {spool} (Ctrl-C stops)", file=out, flush=True)
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.close()
    return 0
