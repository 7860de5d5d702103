"""Words for people that the layers below the console write: a message id and its values,
which the console renders in its reader's language (pure: no I/O).

The message id is the Chinese text, as in the console's catalogs (``console/locale``); it is
marked with :func:`N_` where it is written, so the console's extraction finds it. Whoever
prints one without a catalog (the CLI, a log line) gets the Chinese, which is the default.

::

    Said                 a message id and its values; str() is the Chinese
    SaidError (ValueError)
    │                    a refusal whose message is a Said (``said``)
    ├── store.notes.NoteError, store.consents.ConsentError, store.holds.HoldError,
    ├── store.complaints.ComplaintError, store.errors.LegalHoldError, store.errors.ReviewClosed
    └── console.ranking.RankingError

The console renders any of them with ``console.i18n.say`` (which also reads the ``said`` of
a ``console.errors.UsageError``); the store's ``kept_schedule.problem`` returns a bare Said.
"""

from __future__ import annotations

from compliance.said import LIST_JOIN, N_, Said, SaidError

__all__ = ["LIST_JOIN", "N_", "Said", "SaidError"]
