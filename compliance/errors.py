"""Errors of the compliance package.

ComplianceError
├── ProfileError     a dial-policy profile is missing or invalid (message names file/key)
├── LexiconError     a detector lexicon is missing or invalid (message names file/line)
├── LabelledSetError a labelled-call directory cannot be read (message names file/field)
├── RetentionError   retention periods are missing or invalid (message names file/key)
├── PhrasesError     approved phrases are missing, invalid or would be flagged (file/line/key)
└── TimelineError    a case's events cannot be put in order (an instant without a zone)
"""

from __future__ import annotations

from collections.abc import Sequence

from compliance.problems import Problem


class ComplianceError(Exception):
    """Base of every compliance error."""


class ProfileError(ComplianceError):
    """A policy profile cannot be used; ``problems`` has one line per fault."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


class LexiconError(ComplianceError):
    """A lexicon cannot be used; ``problems`` has one ``FILE:LINE: key: reason`` per fault."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


class LabelledSetError(ComplianceError):
    """A labelled-call set cannot be read; ``problems`` has one ``FILE: field: reason`` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class RetentionError(ComplianceError):
    """Retention periods cannot be used; ``problems`` has one ``FILE: key: reason`` each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class PhrasesError(ComplianceError):
    """Approved phrases cannot be used; ``problems`` has one ``FILE:LINE: key: reason`` each."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = list(problems)


class TimelineError(ComplianceError):
    """A case timeline was handed an event it cannot place."""
