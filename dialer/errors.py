"""Errors of the dialer package.

DialerError
├── AmiUnavailable   the Asterisk Manager Interface cannot be reached or refused us
├── BookUnreadable   the case book holds what its schema forbids
└── SandboxError     the embedded Asterisk cannot be built, started or reached
"""

from __future__ import annotations


class DialerError(Exception):
    """Base of every dialer error."""


class AmiUnavailable(DialerError):
    """No working AMI link: nothing may be originated."""


class BookUnreadable(DialerError):
    """The book holds a value its schema forbids (a CHECK bypassed): no worklist is built
    from it rather than a guess."""
