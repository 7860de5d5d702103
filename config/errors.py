"""Errors raised while loading configuration.

ConfigError
└── ConfigFileError      the file is missing, unreadable or not valid TOML
└── ConfigValueError     a key is unknown or a value has the wrong type
"""

from __future__ import annotations


class ConfigError(Exception):
    """Base of every configuration error; the message names the source."""


class ConfigFileError(ConfigError):
    """The configuration file cannot be read or parsed."""


class ConfigValueError(ConfigError):
    """One or more keys are unknown or hold a value of the wrong type.

    ``problems`` holds one line per bad key, each naming the source, the
    dotted key and what was expected.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
