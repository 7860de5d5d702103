"""The console's composition root: every object a command or a page needs is built here.

From validated settings, :class:`App` holds the database handles and the named
paths under ``var/`` (:class:`config.VarPaths`), and builds the rest on request:
the active dial-policy profile, lexicon and retention periods (the admins' copies
in ``var/`` first), the schedule, the transcription queue and the recording
processor, and a campaign through a running Asterisk. CLI commands (``console/*_cmd.py``), web
routers (``console/web/``), the demo and the benchmarks call it; none of them
imports another to borrow its wiring. Not pure: it opens the database and reads
files when asked to build something.
"""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from huey import crontab
from sqlalchemy import Engine

from compliance.detector import Detector
from compliance.lexicon import LexiconFile, load_lexicon
from compliance.phrases import PhraseBook, load_phrases
from compliance.policy import Profile, load_profile
from compliance.retention import RetentionPeriods, load_periods
from config import Settings, VarPaths
from console.backup import Repository, Restic, Sources
from console.detection import detect_with
from console.users import default_actor
from console.worklist_cache import WorklistCache
from dialer.agi.thread import AgiThread
from dialer.campaign import CampaignSummary
from dialer.gate import PolicyJudge
from dialer.sandbox import Sandbox, load_state, status
from dialer.sandbox.campaigns import Staffing, sandbox_campaign
from dialer.scheduler import Schedule
from dialer.worklist_source import active_agents, build_worklists
from recorder.archive import Archive, remove_archived
from recorder.intake import CallMetadata, Intake, store_recording
from recorder.keys import LocalKeys, MasterKey
from recorder.master_key import find_keys, provision
from store.audit import record_audit
from store.db import SessionFactory, make_engine, make_read_session_factory, make_session_factory
from store.errors import DatabaseUnavailable
from store.migrate import current_revision, head_revision
from store.retention import RunReport, run_retention
from store.types import utcnow
from transcriber import Transcriber, open_transcriber
from transcriber.pipeline import PipelineSettings, RecordingProcessor, pending_recordings
from transcriber.queue import TranscriptionQueue, make_huey

log = logging.getLogger("callwarden.app")


@dataclass(frozen=True)
class Pace:
    """How fast a campaign dials and how long it keeps going."""

    originate_per_s: float = 20.0
    ring_timeout_s: float = 30.0
    run_for_s: float = 3600.0


@dataclass(frozen=True)
class App:
    """The settings, the database handles, the paths under ``var/`` and what is built of them."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    reads: SessionFactory = field(init=False)
    """Sessions that only read: under SQLite they never wait for a writer (an import)."""
    paths: VarPaths = field(init=False)
    """Every path under ``var/``; nothing else joins names onto ``var_dir``."""
    worklist_pages: WorklistCache = field(init=False)
    """The agents' worklist pages this process read from the kept rows, served again while
    nothing they show has changed."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "reads", make_read_session_factory(self.engine))
        object.__setattr__(self, "paths", self.settings.var())
        object.__setattr__(self, "worklist_pages", WorklistCache())

    def require_schema(self) -> None:
        """Fail unless ``callwarden init`` has brought the schema to this version."""
        current = current_revision(self.engine)
        if current is None:
            raise DatabaseUnavailable("the database is not initialised: run `callwarden init`")
        if current != head_revision():
            raise DatabaseUnavailable(
                f"the database schema is at {current}, this version needs {head_revision()}: "
                "run `callwarden init`"
            )

    # -- policy and detection ---------------------------------------------------------

    def profile(self, name: str | Path | None = None) -> Profile:
        """The named profile, a profile file, or the configured one (``extends`` resolved
        among the admins' copies first, then the shipped profiles)."""
        return load_profile(
            name or self.settings.policy.profile,
            search=self.paths.search("policy"),
            calendars=self.paths.calendars,  # years admins added (callwarden calendar add)
        )

    def lexicon(self, name: str | None = None) -> LexiconFile:
        """The named lexicon (or the configured one), the admins' copy first."""
        return load_lexicon(
            name or self.settings.detector.lexicon, search=self.paths.search("lexicon")
        )

    def phrases_name(self) -> str:
        """The approved phrases go with the lexicon in force: its name (a file's stem)."""
        lexicon = self.settings.detector.lexicon
        return Path(lexicon).stem if lexicon.endswith(".toml") or "/" in lexicon else lexicon

    def phrases(self) -> PhraseBook:
        """The approved phrases (合规话术) for the lexicon in force, the admins' copy first."""
        return load_phrases(self.phrases_name(), search=self.paths.search("phrases"))

    def retention_periods(self) -> RetentionPeriods:
        """How long each kind of record is kept, per client bank (the admins' copy first)."""
        return load_periods(search=(self.paths.retention,))

    def run_retention(
        self, at: datetime, actor: str, dry_run: bool = False
    ) -> tuple[RetentionPeriods, RunReport]:
        """Delete (or, ``dry_run``, only list) what has expired at ``at``: the one road for
        ``callwarden retention run`` and the workers' daily job."""
        periods = self.retention_periods()
        report = run_retention(
            self.sessions, self.reads, periods, at, actor, remove_archived, dry_run
        )
        return periods, report

    def schedule(self, profile: Profile, at: datetime) -> Schedule:
        """Every active agent's worklist and every blocked number, under ``profile`` at ``at``."""
        with self.reads() as session:
            return build_worklists(session, profile, at, active_agents(session))

    # -- recordings -------------------------------------------------------------------

    def master_keys(self) -> LocalKeys | None:
        """The master keys in force: ``[archive] key_file``, else ``$CALLWARDEN_MASTER_KEY``,
        else the one callwarden made in ``var/`` (``recorder.master_key``); never makes one."""
        archive = self.settings.archive
        return find_keys(
            archive.key_file, archive.previous_key_files, os.environ, self.paths.master_key
        )

    def ensure_master_key(self) -> MasterKey | None:
        """With ``[archive] encrypt`` on and no master key anywhere, make one in ``var/``
        (0600, audited as ``keys.provisioned``); the key made, for the caller to tell the
        admin where it is (:func:`provisioned_notice`), or None when there was one already or
        encryption is off."""
        if not self.settings.archive.encrypt or self.master_keys() is not None:
            return None
        self.require_schema()  # the audit row needs it; so does every use of the archive
        path = self.paths.master_key
        key, made = provision(path, self.paths.recordings)
        if not made:
            return None
        with self.sessions.begin() as session:
            record_audit(
                session,
                default_actor(),
                "keys.provisioned",
                detail={"key_id": key.key_id, "path": str(path.absolute())},
            )
        return key

    @cached_property
    def archive(self) -> Archive:
        """``var/recordings``, sealing new recordings when ``[archive] encrypt`` is on (the
        default: a master key is made on first use if none is configured); the key file is
        read once per process (KeyProblem if it cannot be read, is too open, or is not one)."""
        made = self.ensure_master_key()
        if made is not None:
            log.warning("%s", provisioned_notice(made, self.paths.master_key))
        return Archive(self.paths.recordings, self.master_keys(), self.settings.archive.encrypt)

    def store_recording(self, path: Path, meta: CallMetadata) -> Intake:
        """Archive ``path`` (content-addressed, under ``var/recordings``) and record its row."""
        return store_recording(self.sessions, path, self.archive, utcnow(), meta)

    def transcriber(self, lexicon: LexiconFile) -> Transcriber:
        """The configured model, loaded, with decoding biased toward ``lexicon``'s words."""
        return open_transcriber(self.settings.transcriber, self.paths.root, lexicon)

    def processor(self) -> RecordingProcessor:
        """The model and lexicon loaded once, for this process."""
        settings = self.settings
        lexicon = self.lexicon()
        # the same lexicon biases decoding (its vocabulary as Whisper's prompt) and finds the flags
        return RecordingProcessor(
            sessions=self.sessions,
            transcriber=self.transcriber(lexicon),
            detect=detect_with(Detector(lexicon)),
            worker=f"{socket.gethostname()}:{os.getpid()}",
            clock=utcnow,
            model_name=settings.transcriber.model or "whisper-base (PyPI)",
            settings=self._pipeline_settings(),
            archive=self.archive,
        )

    def queue(self) -> TranscriptionQueue:
        """The transcription workers' queue (huey on ``var/queue.db``, or on Redis)."""
        settings = self.settings

        def processor() -> RecordingProcessor:
            # In a worker process: its own engine, never one inherited across fork.
            return build_app(settings).processor()

        def pending() -> list[int]:
            return pending_recordings(self.sessions, utcnow(), self._pipeline_settings())

        huey = make_huey(settings.queue.url, self.paths.root)
        queue = TranscriptionQueue(
            huey, processor, pending, settings.queue.high_water, settings.queue.batch
        )
        hour, minute = daily_retention_time(settings.policy.timezone)

        @huey.periodic_task(crontab(minute=str(minute), hour=str(hour)), name="retention_run")  # type: ignore[untyped-decorator]
        def retention_run() -> dict[str, int]:
            return daily_retention(settings)

        return queue

    def queue_location(self) -> str:
        """Where the queue lives, for a message."""
        return self.settings.queue.url or str(self.paths.queue_db)

    def _pipeline_settings(self) -> PipelineSettings:
        queue = self.settings.queue
        return PipelineSettings(
            lease=timedelta(seconds=queue.lease_s),
            max_tries=queue.max_tries,
            reuse_live=self.settings.live.after_call == "reuse",
        )

    # -- backups ---------------------------------------------------------------------

    def restic(self) -> Restic:
        """restic as ``[backup] restic`` names it, else as ``scripts/ensure-restic.sh`` put it."""
        program = self.settings.backup.restic or self.paths.tools / "restic"
        return Restic(program.absolute(), (self.paths.backup / "cache").absolute(), os.environ)

    def backup_repositories(self, only: str | None = None) -> list[Repository]:
        """The configured repositories (or the one named ``only``), with absolute paths:
        restic runs in the staging folder, where a relative path would point elsewhere."""
        repos = []
        for repo in self.settings.backup.repositories:
            if only is not None and repo.name != only:
                continue
            location = repo.location or str(self.paths.backup / repo.name)
            if ":" not in location:  # a folder, not sftp:…, rest:…, s3:…
                location = str(Path(location).absolute())
            password_file = None
            if not repo.password_env:
                chosen = repo.password_file or self.paths.backup / f"{repo.name}.password"
                password_file = chosen.absolute()
            repos.append(Repository(repo.name, location, password_file, repo.password_env))
        return repos

    def backup_sources(self) -> Sources:
        """What a backup takes: the database, the archive, the admins' versions, the settings
        with passwords in URLs masked; and the master keys to check sealed recordings with
        (never copied: a backup holds no key)."""
        paths = self.paths
        settings = self.settings.model_dump(mode="json")
        for section in ("database", "queue"):
            settings[section]["url"] = _masked(settings[section]["url"])
        return Sources(
            database_url=self.settings.database_url(),
            recordings=paths.recordings,
            admin={
                "policy": paths.admin_dir("policy"),
                "lexicon": paths.admin_dir("lexicon"),
                "phrases": paths.admin_dir("phrases"),
                "calendar": paths.calendars,
            },
            settings=settings,
            keys=self.master_keys(),
        )

    # -- dialling ---------------------------------------------------------------------

    def running_sandbox(self) -> Sandbox | None:
        """The embedded Asterisk that ``callwarden sandbox up`` started, if it is running."""
        core = load_state(self.paths.sandbox_state)
        if core is None or not status(core).startswith("running"):
            return None
        return core

    def run_campaign(  # noqa: PLR0917 (what one campaign is made of)
        self,
        core: Sandbox,
        profile: Profile,
        staffing: Staffing,
        start_at: datetime,
        pace: Pace,
        on_recording: Callable[[int, Path], None] | None = None,
    ) -> CampaignSummary:
        """Dial the staffing's worklists through ``core``; recordings go to the workers' queue,
        or to ``on_recording`` (the demo's own transcription, in its process)."""
        recorded = on_recording or self._to_queue()
        campaign = sandbox_campaign(
            self.sessions,
            PolicyJudge(profile),
            core,
            staffing,
            start_at,
            recorded,
            lookback=profile.lookback(),
            originate_per_s=pace.originate_per_s,
            ring_timeout_s=pace.ring_timeout_s,
            run_for_s=pace.run_for_s,
        )
        handlers = {"gate": campaign.gate(), "inbound": campaign.inbound()}
        agi = AgiThread(handlers, port=core.agi_port)
        try:
            return campaign.run()
        finally:
            agi.close()

    def _to_queue(self) -> Callable[[int, Path], None]:
        """Store each recording and hand it to the workers' queue."""
        queue = self.queue()

        def queued(attempt: int, path: Path) -> None:
            intake = self.store_recording(
                path, CallMetadata(call_attempt_id=attempt, agent_channel=0)
            )
            queue.enqueue(intake.recording_id)

        return queued


RETENTION_AT = time(3, 30)
"""When the workers' daily retention run starts, on the centre's clock: no calls, no QA."""


def daily_retention_time(zone: str) -> tuple[int, int]:
    """:data:`RETENTION_AT` on the centre's clock as huey's crontab (UTC) hour and minute."""
    local = datetime.combine(utcnow().date(), RETENTION_AT, ZoneInfo(zone))
    moment = local.astimezone(UTC)
    return moment.hour, moment.minute


def daily_retention(settings: Settings) -> dict[str, int]:
    """The workers' daily job: a retention run as of now, in the worker process's own app
    (never an engine inherited across fork). Invalid periods raise, and nothing is deleted."""
    app = build_app(settings)
    try:
        _, report = app.run_retention(utcnow(), "worker:retention")
    finally:
        app.engine.dispose()
    log.info("retention: deleted %s, kept past their period %d", report.counts(), len(report.kept))
    return report.counts()


def provisioned_notice(key: MasterKey, path: Path) -> str:
    """What the admin is told when callwarden made the master key."""
    return (
        f"已生成录音主密钥 {key.key_id}：{path.absolute()}（权限 0600）。请妥善保管，并与备份分开"
        f"另存一份：备份里不含密钥，丢了它，加密的录音就无法播放或恢复 / made the recordings' "
        f"master key {key.key_id} at {path.absolute()} (mode 0600): keep it safe, with a copy "
        "apart from the backups (they do not hold it); without it no sealed recording can be "
        "played or restored"
    )


def _masked(url: str) -> str:
    """``scheme://user:***@host/…``: a URL's password is a secret a backup does not keep."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def build_app(settings: Settings) -> App:
    engine = make_engine(settings.database_url(), settings.database.busy_timeout_s)
    return App(settings=settings, engine=engine, sessions=make_session_factory(engine))
