"""``callwarden``: the command line. Exit codes: 0 ok, 1 rejected input, 2 usage,
3 configuration error, 4 database unavailable, not initialised or refusing a change,
5 internal error (logged, with the traceback at DEBUG level)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import DBAPIError

from compliance.errors import LabelledSetError, LexiconError, PhrasesError, ProfileError
from compliance.evaluation.telephone import CONDITIONS
from config import ConfigError, load_settings
from console.app import App, build_app
from console.audit_cmd import add_audit_commands
from console.backup import BackupError, PasswordProblem, ResticMissing
from console.backup_cmd import add_backup_commands
from console.bounds import COUNT, PORT_OR_FREE, RATE, SECONDS
from console.calendar_cmd import (
    cmd_calendar_add,
    cmd_calendar_remove,
    cmd_calendar_restore,
    cmd_calendar_status,
    cmd_calendar_versions,
)
from console.commands import cmd_cases_list, cmd_import_cases, cmd_import_payments, cmd_init
from console.complaint_cmd import add_complaint_commands
from console.degrade_cmd import cmd_degrade
from console.demo import cmd_demo
from console.dial_cmd import cmd_dial
from console.errors import UsageError
from console.eval_cmd import cmd_eval, cmd_lexicon_check, cmd_phrases_check
from console.keys_cmd import add_keys_commands
from console.live_cmd import add_live_command
from console.logs import configure_logging, describe_db_error
from console.pipeline_cmd import (
    cmd_calls_show,
    cmd_recordings_sweep,
    cmd_transcribe,
    cmd_worker,
)
from console.plan_cmd import add_plan_commands
from console.policy_cmd import cmd_policy_check
from console.ranking_cmd import add_ranking_commands
from console.retention_cmd import add_retention_commands
from console.sandbox_cmd import cmd_sandbox
from console.schedule_cmd import cmd_agent_add, cmd_schedule_keep, cmd_schedule_preview
from console.team_cmd import add_team_commands
from console.web_cmd import add_web_commands
from dialer.errors import DialerError
from recorder.errors import ArchiveError, KeyProblem
from store.errors import DatabaseUnavailable, MigrationError

Command = Callable[[App, argparse.Namespace, TextIO], int]

EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_DATABASE = 4
EXIT_INTERNAL = 5
log = logging.getLogger("callwarden")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="callwarden",
        description="Compliant dialing, recording, transcription and QA for collection calls.",
    )
    parser.add_argument("--config", type=Path, help="settings file (default ./callwarden.toml)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser("init", help="create or upgrade the database (safe to repeat)")
    init.set_defaults(handler=cmd_init)

    _add_import_commands(sub)

    listing = sub.add_parser("cases", help="look at stored cases")
    listing_sub = listing.add_subparsers(dest="what", required=True, metavar="WHAT")
    case_list = listing_sub.add_parser("list", help="list cases (PII masked)")
    case_list.add_argument("--limit", type=COUNT, default=20)
    case_list.set_defaults(handler=cmd_cases_list)

    schedule = sub.add_parser("schedule", help="dial schedules")
    schedule_sub = schedule.add_subparsers(dest="what", required=True, metavar="WHAT")
    preview = schedule_sub.add_parser("preview", help="who is dialable at a time, and why not")
    preview.add_argument("--at", help="'YYYY-MM-DD HH:MM' on the centre's clock (default: now)")
    preview.add_argument("--agent", help="only this agent's worklist")
    preview.add_argument("--profile", help="policy profile name or file (default: configured)")
    preview.add_argument("--json", action="store_true", help="print one JSON object")
    preview.add_argument("--limit", type=COUNT, default=50, help="rows per list in text output")
    preview.set_defaults(handler=cmd_schedule_preview)
    keep = schedule_sub.add_parser(
        "keep", help="own the kept schedule: apply changes and the clock (one per database)"
    )
    keep.add_argument("--profile", help="policy profile name or file (default: configured)")
    keep.add_argument("--once", action="store_true", help="one pass, then exit")
    keep.set_defaults(handler=cmd_schedule_keep)

    policy = sub.add_parser("policy", help="dial-policy profiles")
    policy_sub = policy.add_subparsers(dest="what", required=True, metavar="WHAT")
    check = policy_sub.add_parser("check", help="validate a profile and preview its effect")
    check.add_argument("file", help="the profile's TOML file")
    check.add_argument("--at", help="preview instant (default: tomorrow 08:05)")
    check.set_defaults(handler=cmd_policy_check)

    _add_calendar_commands(sub)

    agent = sub.add_parser("agent", help="agents at recorded landlines")
    agent_sub = agent.add_subparsers(dest="what", required=True, metavar="WHAT")
    agent_add = agent_sub.add_parser("add", help="add or update an agent")
    agent_add.add_argument("code")
    agent_add.add_argument("--name")
    agent_add.add_argument("--sip", required=True, help="the agent's SIP endpoint, e.g. PJSIP/a01")
    agent_add.set_defaults(handler=cmd_agent_add)
    for add_commands in (add_team_commands, add_plan_commands, add_live_command):
        add_commands(sub)

    _add_detector_commands(sub)
    _add_pipeline_commands(sub)
    _add_dialer_commands(sub)
    add_web_commands(sub)
    add_audit_commands(sub)
    add_keys_commands(sub)
    add_complaint_commands(sub)
    add_ranking_commands(sub)
    add_retention_commands(sub)
    add_backup_commands(sub)

    _add_demo_command(sub)
    return parser


def _add_import_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = sub.add_parser("import", help="import data files")
    imp_sub = imp.add_subparsers(dest="what", required=True, metavar="WHAT")
    cases = imp_sub.add_parser("cases", help="import a case file (.csv or .xlsx), all or nothing")
    cases.add_argument("file", help="the .csv (UTF-8, UTF-8 with BOM, GBK) or .xlsx file")
    cases.add_argument("--actor", help="who is importing, for the audit log")
    cases.set_defaults(handler=cmd_import_cases)
    payments = imp_sub.add_parser(
        "payments", help="import the bank's payments (.csv or .xlsx), all or nothing"
    )
    payments.add_argument("file", help="columns account_no, amount, paid_on, channel (see docs)")
    payments.add_argument("--bank", help="the client bank of rows that do not name one")
    payments.add_argument("--actor", help="who is importing, for the audit log")
    payments.set_defaults(handler=cmd_import_payments)


def _add_demo_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="run the main job on the embedded default (SQLite)")
    demo.add_argument("--no-serve", action="store_true", help="exit after the summary")
    demo.add_argument(
        "--no-calls",
        action="store_true",
        help="place no calls before serving (its console still dials); with --no-serve, "
        "stop after the worklists (no Asterisk)",
    )
    demo.set_defaults(handler=cmd_demo)


def _add_calendar_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    calendar = sub.add_parser("calendar", help="statutory-holiday calendars (调休 included)")
    calendar_sub = calendar.add_subparsers(dest="what", required=True, metavar="WHAT")
    status = calendar_sub.add_parser(
        "status", help="the years the next 90 days need and whether each is covered (exit 1: not)"
    )
    status.add_argument("--at", help="from this day (default: today)")
    status.add_argument("--profile", help="policy profile name or file (default: configured)")
    status.set_defaults(handler=cmd_calendar_status)
    add = calendar_sub.add_parser("add", help="add a year: the State Council's schedule as data")
    add.add_argument("file", help="the year's TOML file (see config/policy/README.md)")
    add.add_argument("--dry-run", action="store_true", help="validate and preview only")
    add.add_argument("--actor", help="who is adding it, for the audit log")
    add.add_argument("--note", help="a note kept with this version")
    add.set_defaults(handler=cmd_calendar_add)
    listed = calendar_sub.add_parser("versions", help="the kept versions of a year (cn-YYYY)")
    listed.add_argument("name", help="the year, e.g. cn-2027")
    listed.set_defaults(handler=cmd_calendar_versions)
    restore = calendar_sub.add_parser("restore", help="put an earlier version of a year back")
    restore.add_argument("name", help="the year, e.g. cn-2027")
    restore.add_argument("version", type=int, help="the version number to put back")
    restore.add_argument("--actor", help="who is restoring it, for the audit log")
    restore.set_defaults(handler=cmd_calendar_restore)
    remove = calendar_sub.add_parser(
        "remove", help="take the admins' year out of force (versions kept)"
    )
    remove.add_argument("name", help="the year, e.g. cn-2027")
    remove.add_argument("--why", required=True, help="the reason, for the audit log")
    remove.add_argument("--actor", help="who is removing it, for the audit log")
    remove.set_defaults(handler=cmd_calendar_remove)


def _add_dialer_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sandbox = sub.add_parser("sandbox", help="the embedded Asterisk (Debian sid root, chroot)")
    sandbox.add_argument("action", choices=["up", "down", "status"])
    sandbox.add_argument("--root", help="the cached root (default ~/.cache/callwarden/…)")
    sandbox.add_argument(
        "--agi-port",
        type=PORT_OR_FREE,
        default=4573,
        help="our FastAGI server's port (0: any free one)",
    )
    sandbox.add_argument(
        "--phones", metavar="SCENARIOS.json", help="also start the simulated phone network"
    )
    sandbox.set_defaults(handler=cmd_sandbox)

    dial = sub.add_parser("dial", help="run a campaign through the running Asterisk")
    dial.add_argument("--at", help="the policy's clock starts here ('YYYY-MM-DD HH:MM')")
    dial.add_argument("--agents", help="comma-separated agent codes (default: all active)")
    dial.add_argument("--preview", metavar="AGENT", help="preview mode for one agent")
    dial.add_argument("--profile", help="policy profile (default: configured)")
    dial.add_argument("--rate", type=RATE, default=20.0, help="originates per second at most")
    dial.add_argument("--ring-timeout", type=SECONDS, default=30.0, help="seconds to ring")
    dial.add_argument("--run-for", type=SECONDS, default=3600.0, help="stop dialling after")
    dial.add_argument("--limit", type=COUNT, help="at most this many numbers per agent")
    dial.set_defaults(handler=cmd_dial)


def _add_pipeline_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    transcribe = sub.add_parser("transcribe", help="store, transcribe and check recordings")
    transcribe.add_argument("paths", nargs="+", help="WAV files, or folders to search for them")
    transcribe.add_argument("--json", action="store_true", help="one JSON line per file")
    transcribe.add_argument(
        "--agent-channel", type=int, choices=[0, 1], default=0, help="the agent's channel (0)"
    )
    transcribe.add_argument(
        "--contact-type",
        default="unknown",
        choices=["debtor", "family", "colleague", "emergency", "other", "unknown"],
        help="who was called (decides third-party rules)",
    )
    transcribe.add_argument(
        "--queue", action="store_true", help="hand the files to the workers instead"
    )
    transcribe.set_defaults(handler=cmd_transcribe)

    worker = sub.add_parser("worker", help="run transcription workers until stopped")
    worker.add_argument("-n", "--workers", type=COUNT, help="worker processes (queue.workers)")
    worker.set_defaults(handler=cmd_worker)

    recordings = sub.add_parser("recordings", help="recordings in Asterisk's spool")
    recordings_sub = recordings.add_subparsers(dest="what", required=True, metavar="WHAT")
    sweep = recordings_sub.add_parser("sweep", help="store and queue what the dialer missed")
    sweep.add_argument("--spool", help="MixMonitor's folder (default: the sandbox's)")
    sweep.add_argument("--min-age", type=SECONDS, default=10.0, help="seconds since last write")
    sweep.set_defaults(handler=cmd_recordings_sweep)

    calls = sub.add_parser("calls", help="look at recorded calls")
    calls_sub = calls.add_subparsers(dest="what", required=True, metavar="WHAT")
    show = calls_sub.add_parser("show", help="a call's transcript by speaker, with its flags")
    show.add_argument("call_id", help="recording id, or the start of its sha256")
    show.set_defaults(handler=cmd_calls_show)


def _add_detector_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    evaluation = sub.add_parser("eval", help="score the detector on a labelled-call directory")
    evaluation.add_argument(
        "dir", help="NAME.wav (or NAME.flac) + NAME.json pairs (../shared/specs format)"
    )
    evaluation.add_argument(
        "--text-only", action="store_true", help="detect on the JSON transcripts, not the audio"
    )
    evaluation.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluation.add_argument("--predictions", help="write every predicted flag as a JSON line")
    evaluation.add_argument(
        "--baseline", choices=["keywords"], help="score keyword QA instead of the detector"
    )
    evaluation.add_argument("--lexicon", help="lexicon name or file (default: configured)")
    evaluation.add_argument(
        "--condition",
        choices=sorted(CONDITIONS),
        help="hear the audio through a telephone line: clean (as is), mild or bad",
    )
    evaluation.add_argument(
        "--heard",
        help="write each call as heard (its labels, the ASR's transcript) as NAME.json into "
        "this folder, to score other lexicons on it later with --text-only",
    )
    evaluation.add_argument(
        "--live",
        action="store_true",
        help="transcribe as the live follower hears a call (pieces as they arrive), not whole",
    )
    evaluation.set_defaults(handler=cmd_eval)

    degrading = sub.add_parser(
        "degrade", help="write labelled calls as a mild or bad telephone line delivers them"
    )
    degrading.add_argument("input", help="a labelled-call directory, or one .wav/.flac file")
    degrading.add_argument("output", help="a directory (made if missing), or a .wav/.flac file")
    degrading.add_argument("--condition", choices=sorted(CONDITIONS), required=True)
    degrading.set_defaults(handler=cmd_degrade)

    lexicon = sub.add_parser("lexicon", help="the detector's lexicon")
    lexicon_sub = lexicon.add_subparsers(dest="what", required=True, metavar="WHAT")
    lexicon_check = lexicon_sub.add_parser("check", help="validate a lexicon file")
    lexicon_check.add_argument("file")
    lexicon_check.set_defaults(handler=cmd_lexicon_check)
    phrases_check = lexicon_sub.add_parser(
        "phrases", help="validate approved phrases and run each through its lexicon"
    )
    phrases_check.add_argument("file")
    phrases_check.add_argument(
        "--lexicon", help="lexicon name or file (default: the phrases file's name)"
    )
    phrases_check.set_defaults(handler=cmd_phrases_check)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    args = build_parser().parse_args(argv)
    stream = out or sys.stdout
    try:
        settings = load_settings(args.config)
    except ConfigError as exc:
        print(f"configuration error:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings.logging.level)
    app = build_app(settings)
    handler: Command = args.handler
    try:
        return handler(app, args, stream)
    except (DatabaseUnavailable, MigrationError) as exc:
        print(f"callwarden: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except ProfileError as exc:
        print(f"policy profile rejected:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (LexiconError, PhrasesError) as exc:
        what = "lexicon" if isinstance(exc, LexiconError) else "phrases"
        print(f"{what} rejected:\n{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except DialerError as exc:
        print(f"callwarden: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (KeyProblem, PasswordProblem, ResticMissing) as exc:
        print(f"callwarden: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (ArchiveError, BackupError) as exc:
        print(f"callwarden: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except LabelledSetError as exc:
        print(f"labelled calls rejected:\n{exc}", file=sys.stderr)
        return EXIT_REJECTED
    except UsageError as exc:
        print(f"callwarden: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DBAPIError as exc:
        # Never the exception's text: its parameters and DETAIL carry residents' data.
        log.debug("database error", exc_info=True)
        print(
            f"callwarden: database error ({describe_db_error(exc)}); "
            "the step was rolled back, so nothing was written",
            file=sys.stderr,
        )
        return EXIT_DATABASE
    except Exception as exc:
        log.debug("internal error", exc_info=True)
        print(
            f"callwarden: internal error ({type(exc).__name__}); run with logging level DEBUG "
            "for the (masked) traceback",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        app.engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
