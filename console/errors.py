"""The console's exceptions, one tree. Pure: no I/O.

::

    ConsoleError                 anything the console itself refuses
    ├── UsageError               a bad command-line or form value (CLI exit 2)
    ├── UserError (ValueError)   a console user that cannot be created or changed as asked
    ├── EditRefused (ValueError) an admin's profile or lexicon the engine cannot load
    ├── NotLoggedIn              no valid session: the browser goes to the login page
    ├── Forbidden                this role may not do this, or the CSRF token is wrong (403)
    └── Unsatisfiable            a Range header asking only for bytes past the end (416)

The layers below keep their own trees (``store.errors``, ``dialer.errors``,
``compliance.errors``, ``transcriber.errors``, ``config.errors``); the CLI and the
web server map each to an exit code or a page.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType

from compliance.problems import Problem
from store.said import Said


class ConsoleError(Exception):
    """The root of the console's own errors."""


class UsageError(ConsoleError):
    """A bad command-line or form value; the message says which and why. A message marked
    for the catalogs (``N_``, with its values) is kept as ``said``, for a page to translate;
    ``str()`` is its Chinese, for the CLI."""

    def __init__(self, message: str, **params: object) -> None:
        self.said = Said(message, MappingProxyType(params))
        super().__init__(str(self.said))


class UserError(ConsoleError, ValueError):
    """A user that cannot be created as asked; the message says why (kept as ``said``, as
    :class:`UsageError` keeps it)."""

    def __init__(self, message: str, **params: object) -> None:
        self.said = Said(message, MappingProxyType(params))
        super().__init__(str(self.said))


class EditRefused(ConsoleError, ValueError):
    """The submitted file cannot be used; ``problems`` says why, one line each."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


class NotLoggedIn(ConsoleError):
    """No valid session: the browser is sent to the login page."""


class Forbidden(ConsoleError):
    """Logged in, but this role may not do this (or the CSRF token is wrong)."""


class DialerBusy(ConsoleError):
    """The console's dialler is placing another call (its one line is taken): say so."""


class Unsatisfiable(ConsoleError):
    """A valid Range none of whose ranges lies inside the file: answer 416."""
