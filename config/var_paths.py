"""Every path under the installation's ``var/`` folder, named once. Pure: no I/O.

``var/`` (``[paths] var_dir``) holds what one installation owns and changes: its
SQLite database and queue, the admins' copies of profiles and lexicons, the
recordings archive, the model cache, the sandbox's state. Code asks a
:class:`VarPaths` for a path instead of joining names onto ``var_dir`` itself, so
a layout change is one edit here. (The shell scripts that start PostgreSQL and
Redis for development keep their own files there too: ``services.env``,
``pg.port``, ``pg.data``, ``redis/``; they are not read from Python.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

AdminKind = Literal["policy", "lexicon", "phrases"]
"""What admins edit in the console and keep in ``var/``."""


@dataclass(frozen=True)
class VarPaths:
    """The named paths under one ``var/`` folder (``root``), relative if it is."""

    root: Path

    @property
    def database(self) -> Path:
        """The embedded SQLite database, used when ``[database] url`` is empty."""
        return self.root / "callwarden.db"

    @property
    def queue_db(self) -> Path:
        """huey's SQLite queue, used when ``[queue] url`` is empty."""
        return self.root / "queue.db"

    @property
    def models(self) -> Path:
        """Speech models assembled here (the bundled Whisper base model)."""
        return self.root / "models"

    @property
    def recordings(self) -> Path:
        """The content-addressed recordings archive (``YYYY/MM/DD/ab/<sha256>.wav``)."""
        return self.root / "recordings"

    @property
    def master_key(self) -> Path:
        """The recordings' master key made on first use when ``[archive] encrypt`` is on and
        none is configured (base64, mode 0600; ``recorder.master_key``). Kept out of
        ``recordings/`` and every other folder a backup takes: a backup never holds its key."""
        return self.root / "master.key"

    def admin_dir(self, kind: AdminKind) -> Path:
        """Where the console writes the admins' copies of profiles (``policy``), lexicons or
        the approved phrases that go with a lexicon (``phrases``)."""
        return self.root / kind

    def search(self, kind: AdminKind) -> tuple[Path, ...]:
        """The folders a profile, lexicon or phrases name is looked up in before the shipped ones.

        This is the rule "the admins' copy in ``var/`` first, then the shipped one": the
        loaders (``load_profile``, ``load_lexicon``) and the console's editor all take it
        from here, and each ends its search with the shipped folder.
        """
        return (self.admin_dir(kind),)

    @property
    def retention(self) -> Path:
        """The admins' retention periods (``retention.toml``), read before the shipped ones."""
        return self.root / "retention"

    @property
    def calendars(self) -> Path:
        """Statutory-holiday years admins added (``callwarden calendar add``), one TOML each."""
        return self.root / "calendar"

    @property
    def sandbox_state(self) -> Path:
        """The running embedded Asterisk's state and AMI secret (``callwarden sandbox up``)."""
        return self.root / "sandbox.json"

    @property
    def sandbox_phones_state(self) -> Path:
        """The simulated phone network's Asterisk, when ``sandbox up --phones`` started it."""
        return self.root / "sandbox-phones.json"

    @property
    def sandbox_sounds(self) -> Path:
        """Each side of the labelled calls the simulated phones play, split out once."""
        return self.root / "sandbox-sounds"

    @property
    def demo(self) -> Path:
        """``callwarden demo``'s own Asterisk instances and the sounds its phones play."""
        return self.root / "demo"

    @property
    def demo_logins(self) -> Path:
        """The demo's console logins, made once and kept (mode 0600)."""
        return self.root / "demo-logins.json"

    @property
    def bundles(self) -> Path:
        """Complaint evidence bundles the console is writing for a download (removed once sent)."""
        return self.root / "bundles"

    @property
    def backup(self) -> Path:
        """Backups: the default restic repositories (``<name>/``) and their password files
        (``<name>.password``, 0600), the staging folder a snapshot is assembled in, restic's
        cache and the record of each backup (``records/``)."""
        return self.root / "backup"

    @property
    def tools(self) -> Path:
        """Programs the project installs itself: ``restic`` (``scripts/ensure-restic.sh``)."""
        return self.root / "tools"

    @property
    def bench(self) -> Path:
        """``make bench``'s results."""
        return self.root / "bench"
