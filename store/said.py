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

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


def N_(message: str) -> str:
    """Marks ``message`` for the console's catalogs; it is translated where shown."""
    return message


@dataclass(frozen=True)
class Said:
    """A catalog message id (Chinese, ``%(name)s`` placeholders) and the values to fill in."""

    msgid: str
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def render(self, translate: Callable[[str], str] | None = None) -> str:
        """The message through ``translate`` (a gettext; None: the Chinese msgid itself)."""
        text = translate(self.msgid) if translate is not None else self.msgid
        # Without values a message is taken as written, as ``_("…")`` is where nothing is
        # filled in (a lone "%" in it is then no format error).
        return text % dict(self.params) if self.params else text

    def __str__(self) -> str:
        return self.render()


class SaidError(ValueError):
    """A refusal whose message is a :class:`Said`; ``str()`` is its Chinese."""

    def __init__(self, msgid: str, **params: object) -> None:
        self.said = Said(msgid, MappingProxyType(params))
        super().__init__(str(self.said))
