"""Errors of the recorder package.

RecorderError
└── BadRecording     a file cannot be used as a call recording (reason in the message)
"""

from __future__ import annotations


class RecorderError(Exception):
    """Base of every recorder error."""


class BadRecording(RecorderError):
    """Zero-length, truncated, not WAV, not 16-bit PCM, or at a rate we do not take."""
