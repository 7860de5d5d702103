"""Backups through restic (Debian's), to every configured repository, and restores that are
proven: database integrity, every recording's hash, the audit chain against the head stored
in the snapshot (issue 21, item 4).

``console.backup.restic`` is the seam in front of the program; ``.snapshot`` assembles what a
backup holds; ``.database`` copies and restores the database; ``.runs`` writes
to and restores from the repositories; ``.verify`` checks a restored backup. The
console's composition root builds the :class:`Restic` and the :class:`Repository` list from
settings.
"""

from console.backup.errors import (
    BackupError,
    PasswordProblem,
    ResticFailed,
    ResticMissing,
    RestoreRefused,
    SnapshotNotFound,
)
from console.backup.reinstate import reinstate, require_apart
from console.backup.restic import CheckResult, Repository, Restic, Snapshot, write_password_file
from console.backup.runs import (
    BackupRecord,
    Restored,
    back_up,
    check_all,
    init_repositories,
    restore,
)
from console.backup.snapshot import Manifest, Sources
from console.backup.verify import Check, verify_in_service, verify_restored

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
    "reinstate",
    "require_apart",
    "restore",
    "verify_in_service",
    "verify_restored",
    "write_password_file",
]
