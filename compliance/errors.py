"""Errors of the compliance package.

ComplianceError
└── ProfileError     a dial-policy profile is missing or invalid (message names file/key)
"""

from __future__ import annotations


class ComplianceError(Exception):
    """Base of every compliance error."""


class ProfileError(ComplianceError):
    """A policy profile cannot be used; ``problems`` has one line per fault."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
