"""Backups through restic (Debian's), to every configured repository, and restores that are
proven: database integrity, every recording's hash, the audit chain against the head stored
in the snapshot (issue 21, item 4).

``backup.restic`` is the seam in front of the program; ``backup.snapshot`` assembles what a
backup holds; ``backup.database`` copies and restores the database; ``backup.runs`` writes
to and restores from the repositories; ``backup.verify`` checks a restored backup. The
console's composition root builds the :class:`Restic` and the :class:`Repository` list from
settings.
"""

from backup.errors import (
    BackupError,
    PasswordProblem,
    ResticFailed,
    ResticMissing,
    RestoreRefused,
    SnapshotNotFound,
)
from backup.restic import CheckResult, Repository, Restic, Snapshot, write_password_file
from backup.runs import (
    BackupRecord,
    Restored,
    back_up,
    check_all,
    init_repositories,
    restore,
)
from backup.snapshot import Manifest, Sources
from backup.verify import Check, verify_restored

__all__ = [
    "BackupError",
    "BackupRecord",
    "Check",
    "CheckResult",
    "Manifest",
    "PasswordProblem",
    "Repository",
    "Restic",
    "ResticFailed",
    "ResticMissing",
    "RestoreRefused",
    "Restored",
    "Snapshot",
    "SnapshotNotFound",
    "Sources",
    "back_up",
    "check_all",
    "init_repositories",
    "restore",
    "verify_restored",
    "write_password_file",
]
