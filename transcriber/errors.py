"""Errors of the transcriber package.

TranscriberError
└── ModelUnavailable   the Whisper model is missing, incomplete or corrupt (says how to fix)
"""

from __future__ import annotations


class TranscriberError(Exception):
    """Base of every transcriber error."""


class ModelUnavailable(TranscriberError):
    """No usable CTranslate2 Whisper model where one was expected."""
