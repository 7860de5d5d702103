"""Typed settings, loaded from TOML and the environment and validated at load.

Precedence, lowest first: the defaults below, the TOML file
(``--config``, else ``$CALLWARDEN_CONFIG``, else ``./callwarden.toml`` if it
exists), then environment variables ``CALLWARDEN_<SECTION>_<KEY>``
(``CALLWARDEN_DATABASE_URL`` sets ``[database] url``).
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, Strict, ValidationError, model_validator

from config.errors import ConfigFileError, ConfigValueError
from config.ranking import RankingSettings
from config.sections import Section as _Section
from config.var_paths import VarPaths

DEFAULT_CONFIG_FILE = Path("callwarden.toml")
ENV_PREFIX = "CALLWARDEN_"


def _empty_is_unset(value: object) -> object:
    return None if value == "" else value


OptionalPath = Annotated[Path | None, BeforeValidator(_empty_is_unset)]
"""A file setting that may be left unset; ``""`` (``CALLWARDEN_ARCHIVE_KEY_FILE=``) is unset
too, not ``Path("")``, which is the current folder."""


class DatabaseSettings(_Section):
    """Where the state lives. An empty ``url`` means SQLite at ``<var_dir>/callwarden.db``."""

    url: str = ""
    busy_timeout_s: float = Field(default=30.0, gt=0)
    """How long a writer waits for a lock before failing, in seconds (SQLite's busy timeout,
    PostgreSQL's lock_timeout); the console then answers 503. Imports wait as long as needed."""


class PathSettings(_Section):
    """Folders owned by this installation."""

    var_dir: Path = Field(default=Path("var"), strict=False)
    """Databases, recordings and throwaway services live here unless configured elsewhere."""


class PolicySettings(_Section):
    """Which dial-policy profile is active and the call centre's own time zone."""

    profile: str = "cn-default"
    timezone: str = "Asia/Shanghai"


class DetectorSettings(_Section):
    """The detector's lexicon: a name (var/lexicon first, then shipped) or a file."""

    lexicon: str = "cn-default"


class TranscriberSettings(_Section):
    """Speech recognition: which model, where it runs, how segments are found."""

    model: str = ""
    """A CTranslate2 Whisper directory; empty: the multilingual base model from PyPI."""
    device: str = Field(default="auto", pattern=r"^(auto|cpu|cuda)$")
    """``auto`` uses CUDA when a GPU is visible."""
    compute_type: str = Field(
        default="default", pattern=r"^(default|int8|int8_float16|float16|float32)$"
    )
    """``default``: int8 on CPU, float16 on CUDA."""
    cpu_threads: int = Field(default=2, ge=0)
    beam_size: int = Field(default=1, ge=1, le=10)
    alternatives: int = Field(default=0, ge=0, le=9)
    """Runner-up texts kept per utterance (n-best, at most ``beam_size - 1``) for the detector."""
    prompt_chars: int = Field(default=0, ge=0, le=200)
    """Characters of the active lexicon's vocabulary given to Whisper as a prompt; 0: none."""
    vad_aggressiveness: int = Field(default=2, ge=0, le=3)
    """webrtcvad's mode: 0 keeps the most audio as speech, 3 the least."""


LiveAction = Literal["alert", "hold_case", "do_not_call", "whisper_prompt", "barge"]
"""What a live hit may do; ``barge`` is offered to the lead on the wallboard (see README)."""


def _default_live_actions() -> dict[str, list[LiveAction]]:
    return {
        "complaint_tendency": ["hold_case", "alert"],
        "do_not_call_request": ["do_not_call", "alert"],
        "impersonation": ["alert", "whisper_prompt"],
        "threat": ["alert", "whisper_prompt"],
    }


class LiveSettings(_Section):
    """Transcription and checks while a call is up (``callwarden live``, issue 18)."""

    after_call: Literal["reuse", "redecode"] = "redecode"
    """After the call: decode the recording again (``redecode``), or keep the live transcript
    when the follower heard the whole call (``reuse``: one decode per call). Measured on the
    dev split (``eval --live``), live pieces read far worse than the whole-call decode (agent
    CER 0.45 against 0.16, 7 false flags against 0), so the record is decoded again by
    default. A call the follower missed, or was stopped in, is always decoded after it ends."""
    prompt_sound: str = Field(default="", max_length=200, pattern=r"^[A-Za-z0-9_./-]*$")
    """The recorded compliance reminder ``whisper_prompt`` plays to the agent alone: a sound
    as Asterisk's Playback finds it, without its extension (``/var/lib/asterisk/sounds/
    custom/cw-reminder``); empty: no prompt is played and the alert says so."""
    max_piece_s: float = Field(default=5.0, gt=0, le=25)
    """Long speech is decoded in pieces this long, so it is checked while it goes on."""
    poll_s: float = Field(default=0.2, gt=0, le=5)
    """How often each growing file is read."""
    idle_end_s: float = Field(default=6.0, gt=0)
    """Files that have not grown for this long, without MixMonitor's final header (a killed
    Asterisk), are taken as closed; MixMonitor writes 32 KiB at a time (2.05 s at 8 kHz), so
    this must be well above that. A normal hangup is seen at once from the rewritten header."""
    actions: dict[str, list[LiveAction]] = Field(default_factory=_default_live_actions)
    """Per detector category, what a live hit does; a category not named only stores the hit."""
    encoder_s: float = Field(default=30.0, ge=8, le=30)
    """Seconds of audio Whisper's encoder reads per live window (30: Whisper's own). Live
    pieces are short, and the encoder's cost falls with this (an 8 s piece: 0.24 CPU s read
    as 10 s against 1.71 s as 30 s), but Whisper was trained on 30 s: its accuracy on shorter
    windows is not yet measured here, so the default stays 30. Must exceed ``max_piece_s`` by
    2 s, so no piece is cut."""

    @model_validator(mode="after")
    def _pieces_fit(self) -> LiveSettings:
        if self.encoder_s < self.max_piece_s + 2.0:
            raise ValueError(
                f"[live] encoder_s {self.encoder_s} must be at least max_piece_s + 2 "
                f"({self.max_piece_s + 2.0}): a longer piece would be cut"
            )
        return self


class QueueSettings(_Section):
    """Where transcription work waits: huey on SQLite (embedded) or on Redis (distributed)."""

    url: str = Field(default="", pattern=r"^(|redis://.*|rediss://.*)$")
    """Empty: SQLite at <var_dir>/queue.db; ``redis://host:6379/0`` for workers on many machines."""
    workers: int = Field(default=1, ge=1, le=64)
    """Worker processes per ``callwarden worker`` (each loads the model once)."""
    lease_s: float = Field(default=600.0, gt=0)
    """Seconds a worker's claim on a recording holds; then another worker may take it over."""
    max_tries: int = Field(default=3, ge=1)
    """Claims per recording before it is marked failed (a poisoned file stops here)."""
    batch: int = Field(default=8, ge=1, le=64)
    """Recordings a worker decodes together when several wait (batched decoding is cheaper)."""
    high_water: int = Field(default=200, ge=1)
    """The sweep enqueues nothing while this many tasks already wait (backpressure)."""


class ConsoleSettings(_Section):
    """The web console (``callwarden serve``)."""

    host: str = "127.0.0.1"
    """Loopback by default: put it behind a TLS proxy before opening it to a network."""
    port: int = Field(default=8470, ge=1, le=65535)
    session_hours: float = Field(default=8.0, gt=0, le=24 * 7)
    """A login lasts one shift; an idle session ends after this many hours."""
    secure_cookies: bool = False
    """Send the session cookie only over HTTPS; turn on behind a TLS proxy."""
    spot_check_rate: float = Field(default=0.1, ge=0, le=1)
    """The share of unflagged transcribed calls drawn for QA spot checks (质检抽查)."""
    login_attempts: int = Field(default=5, ge=1)
    """Failed logins allowed per user in 15 minutes before further tries are refused."""
    daily_case_target: int = Field(default=80, ge=1, le=10_000)
    """Team progress: cases each collector should work a day (作业量目标)."""
    coverage_working_days: int = Field(default=2, ge=0, le=30)
    """Team progress: a new case is dialled within this many working days of its import."""
    wallboard_poll_s: float = Field(default=1.0, gt=0, le=60)
    """The live wallboard (/team/live) reads the floor from the database this often per
    open board, and sends only what changed."""
    wallboard_heartbeat_s: float = Field(default=15.0, gt=0, le=300)
    """A board with nothing new gets a comment line this often, so proxies keep it open and
    a dead connection is noticed."""
    wallboard_stream_s: float = Field(default=900.0, gt=0, le=86_400)
    """An event stream ends after this long and the browser reconnects to a fresh snapshot
    (its session is checked again then)."""


class ComplaintSettings(_Section):
    """The complaint register (投诉): calendar days until a complaint of each grade is due."""

    due_days_routine: int = Field(default=7, ge=0, le=365)
    """常规: the debtor complained by phone or in person."""
    due_days_important: int = Field(default=3, ge=0, le=365)
    """重要: forwarded by the bank's head office, UnionPay, the regulator or consumers' body."""
    due_days_serious: int = Field(default=1, ge=0, le=365)
    """严重: media coverage or a lawsuit."""


class ArchiveSettings(_Section):
    """The recordings archive at rest (docs/sealed-recordings.md)."""

    encrypt: bool = True
    """Seal new recordings (AES-256-GCM, a data key each, wrapped under the master key). On by
    default: with no master key configured, one is made in ``var/master.key`` on first use
    (``recorder.master_key``). ``false`` archives new recordings in clear. Sealed files are
    read whenever a master key is there, whatever this says; clear ones always."""
    key_file: OptionalPath = Field(default=None, strict=False)
    """The master key (base64, mode 0600); unset: ``$CALLWARDEN_MASTER_KEY``, else the key
    callwarden made in ``var/master.key``."""
    previous_key_files: tuple[Annotated[Path, Strict(False)], ...] = Field(default=(), strict=False)
    """Master keys being rotated away from: data keys under them still open until
    ``callwarden keys rotate`` has re-wrapped them under ``key_file``."""


class RepositorySettings(_Section):
    """One restic repository a backup is written to, and where its password comes from."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    """How commands and records name it (``restore --repo NAME``)."""
    location: str = ""
    """restic's repository string: a folder, ``sftp:user@host:/path``, …; empty:
    ``<var_dir>/backup/<name>``."""
    password_file: OptionalPath = Field(default=None, strict=False)
    """A file readable by its owner only (0600); ``callwarden backup init`` writes one."""
    password_env: str = Field(default="", pattern=r"^(|[A-Za-z_][A-Za-z0-9_]*)$")
    """The environment variable holding the password instead (not ``CALLWARDEN_*``: those
    are settings)."""

    @model_validator(mode="after")
    def _one_password(self) -> RepositorySettings:
        if self.password_file is not None and self.password_env:
            raise ValueError(f"repository {self.name}: password_file or password_env, not both")
        if self.password_env.upper().startswith(ENV_PREFIX):
            raise ValueError(
                f"repository {self.name}: password_env {self.password_env}: CALLWARDEN_* "
                "variables are read as settings; choose another name"
            )
        return self


def _default_repositories() -> tuple[RepositorySettings, ...]:
    # Two copies by default (the seed asks for at least two places); an admin points the
    # second at another disk or an SFTP target.
    return (RepositorySettings(name="a"), RepositorySettings(name="b"))


class BackupSettings(_Section):
    """``callwarden backup``: restic (Debian's) and the repositories every backup goes to."""

    restic: OptionalPath = Field(default=None, strict=False)
    """The restic program; unset: ``<var_dir>/tools/restic`` (``scripts/ensure-restic.sh``)."""
    repositories: tuple[RepositorySettings, ...] = Field(
        default_factory=_default_repositories, min_length=1, strict=False
    )

    @model_validator(mode="after")
    def _distinct(self) -> BackupSettings:
        names = [repo.name for repo in self.repositories]
        if len(set(names)) != len(names):
            raise ValueError(f"repository names repeat: {names}")
        return self


class LoggingSettings(_Section):
    """Log verbosity; PII is masked regardless."""

    level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")


class Settings(_Section):
    """The whole configuration of one callwarden installation."""

    database: DatabaseSettings = DatabaseSettings()
    paths: PathSettings = PathSettings()
    policy: PolicySettings = PolicySettings()
    detector: DetectorSettings = DetectorSettings()
    transcriber: TranscriberSettings = TranscriberSettings()
    queue: QueueSettings = QueueSettings()
    console: ConsoleSettings = ConsoleSettings()
    complaints: ComplaintSettings = ComplaintSettings()
    ranking: RankingSettings = RankingSettings()
    logging: LoggingSettings = LoggingSettings()
    live: LiveSettings = LiveSettings()
    archive: ArchiveSettings = ArchiveSettings()
    backup: BackupSettings = BackupSettings()
    source: str = Field(default="<defaults>", exclude=True)
    """Where these settings came from, for messages; not a key users set."""

    def var(self) -> VarPaths:
        """The named paths under ``[paths] var_dir``."""
        return VarPaths(self.paths.var_dir)

    def database_url(self) -> str:
        """The SQLAlchemy URL to connect to, defaulting to SQLite under ``var_dir``."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{self.var().database.as_posix()}"


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_ENV_NUMERIC = {
    ("database", "busy_timeout_s"),
    ("transcriber", "cpu_threads"),
    ("transcriber", "beam_size"),
    ("transcriber", "alternatives"),
    ("transcriber", "prompt_chars"),
    ("transcriber", "vad_aggressiveness"),
    ("queue", "workers"),
    ("queue", "lease_s"),
    ("queue", "max_tries"),
    ("queue", "high_water"),
    ("queue", "batch"),
    ("console", "port"),
    ("console", "session_hours"),
    ("console", "spot_check_rate"),
    ("console", "login_attempts"),
    ("complaints", "due_days_routine"),
    ("complaints", "due_days_important"),
    ("complaints", "due_days_serious"),
    ("ranking", "bottom_n"),
    ("ranking", "sample_per_agent"),
}


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Load and validate settings; raise :class:`ConfigError` naming file and key."""
    env = os.environ if environ is None else environ
    chosen = path or (Path(env["CALLWARDEN_CONFIG"]) if env.get("CALLWARDEN_CONFIG") else None)
    if chosen is None and DEFAULT_CONFIG_FILE.is_file():
        chosen = DEFAULT_CONFIG_FILE
    raw: dict[str, Any] = _read_toml(chosen) if chosen else {}
    source = str(chosen) if chosen else "<defaults>"
    problems: list[str] = []
    _overlay_environment(raw, env, problems)
    if problems:
        raise ConfigValueError(problems)
    try:
        return Settings.model_validate({**raw, "source": source})
    except ValidationError as exc:
        raise ConfigValueError(_describe(exc, source)) from exc


MAX_CONFIG_BYTES = 1024 * 1024


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's settings. Only a regular file is opened (opening a FIFO blocks), and no
    more of it is read than a settings file can be (a device such as /dev/zero never ends)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise ConfigFileError(f"{path}: not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        if len(data) > MAX_CONFIG_BYTES:
            raise ConfigFileError(f"{path}: more than 1 MiB: not a settings file")
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML: not UTF-8 text ({exc.reason})") from exc
    except FileNotFoundError as exc:
        raise ConfigFileError(f"{path}: configuration file not found") from exc
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML: {exc}") from exc


def _overlay_environment(raw: dict[str, Any], env: Mapping[str, str], problems: list[str]) -> None:
    sections = {name: field for name, field in Settings.model_fields.items() if name != "source"}
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX) or var == "CALLWARDEN_CONFIG":
            continue
        rest = var[len(ENV_PREFIX) :].lower()
        section = next((s for s in sections if rest.startswith(s + "_")), None)
        if section is None:
            continue  # other CALLWARDEN_* variables (tests, tools) are not settings
        key = rest[len(section) + 1 :]
        model = sections[section].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        if key not in model.model_fields:
            problems.append(f"${var}: unknown setting {section}.{key}")
            continue
        converted: object = value
        if (section, key) in _ENV_NUMERIC:
            number = int if model.model_fields[key].annotation is int else float
            try:
                converted = number(value)
            except ValueError:
                problems.append(f"${var}: {section}.{key}: expected a number, got {value!r}")
                continue
        elif model.model_fields[key].annotation is bool:
            if value.lower() not in _BOOLEANS:
                problems.append(f"${var}: {section}.{key}: expected true or false, got {value!r}")
                continue
            converted = _BOOLEANS[value.lower()]
        raw.setdefault(section, {})[key] = converted


def _describe(exc: ValidationError, source: str) -> list[str]:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"{source}: {key}: unknown key")
        else:
            got = err.get("input")
            lines.append(f"{source}: {key}: {err['msg']} (got {type(got).__name__} {got!r})")
    return lines
