"""Errors of the recorder package.

RecorderError
├── BadRecording     a file cannot be used as a call recording (reason in the message)
└── ArchiveError     the archive cannot give a recording's audio back as it was stored
    ├── KeyProblem   no usable master key: missing, too open a key file, unknown key id
    ├── Tampered     a sealed or clear file does not match what was stored (no audio is given)
    └── KeyTampered  (KeyProblem and Tampered) a recording's wrapped data key file is missing,
                     garbled, or does not open under the master key it names
"""

from __future__ import annotations


class RecorderError(Exception):
    """Base of every recorder error."""


class BadRecording(RecorderError):
    """Zero-length, truncated, not WAV, not 16-bit PCM, or at a rate we do not take."""


class ArchiveError(RecorderError):
    """The archived audio cannot be given back as it was stored."""


class KeyProblem(ArchiveError):
    """No usable master key (none configured, a key file others can read, an unknown key)."""


class Tampered(ArchiveError):
    """A chunk fails its authentication, or the audio's sha256 is not the stored one."""


class KeyTampered(KeyProblem, Tampered):
    """A recording's ``.key`` file is gone, garbled, or not this recording's: the master key is
    here, the archive is what changed. Still a :class:`KeyProblem` for callers that skip such
    a file (``keys rotate``), and a :class:`Tampered` for those that log tampering."""
