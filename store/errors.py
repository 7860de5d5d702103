"""Errors raised by the storage layer.

StoreError
├── DatabaseUnavailable   the database cannot be reached or is locked past the timeout
├── MigrationError        the schema cannot be brought to the current version
├── ImportRejected        a case file failed validation; nothing was written
├── ReviewClosed          a review item was already promoted or dismissed
└── LegalHoldError        a legal hold cannot be placed or released (the message says why)
"""

from __future__ import annotations

from collections.abc import Sequence

from store.said import SaidError


class StoreError(Exception):
    """Base of every storage error."""


class DatabaseUnavailable(StoreError):
    """The database cannot be reached, or stayed locked past the busy timeout."""


class MigrationError(StoreError):
    """The schema could not be created or upgraded."""


class ImportRejected(StoreError):
    """A case file was rejected; ``problems`` lists each as ``FILE:ROW:COLUMN: message``."""

    def __init__(self, problems: Sequence[str], total: int | None = None) -> None:
        self.problems = list(problems)
        self.total = len(self.problems) if total is None else total
        super().__init__(f"{self.total} problem(s); nothing was imported")


class ReviewClosed(StoreError, SaidError):
    """A review item was already promoted or dismissed (another inspector, or a second click)."""


class LegalHoldError(StoreError, SaidError):
    """A legal hold that cannot be placed or released; the message says why."""
