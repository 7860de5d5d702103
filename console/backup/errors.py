"""Errors of the backup package.

BackupError
├── ResticMissing     the restic program is not where settings say, or does not run
├── PasswordProblem   a repository's password cannot be had (missing, too open a file, unset)
├── ResticFailed      restic exited with an error (its last lines in the message)
├── SnapshotNotFound  no snapshot in a repository answers to what was asked
└── RestoreRefused    the restore's target is not an empty folder
"""

from __future__ import annotations


class BackupError(Exception):
    """Base of every backup error."""


class ResticMissing(BackupError):
    """restic is not installed where it is looked for: run scripts/ensure-restic.sh."""


class PasswordProblem(BackupError):
    """A repository's password file is missing or readable by others, or its variable unset."""


class ResticFailed(BackupError):
    """restic answered with a non-zero exit status."""


class SnapshotNotFound(BackupError):
    """No snapshot matches the label, id or ``latest`` asked for."""


class RestoreRefused(BackupError):
    """A restore goes only into an empty (or new) folder, so nothing is mixed or overwritten."""
