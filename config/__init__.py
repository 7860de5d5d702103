"""Typed settings and the shipped defaults (policy profiles, samples, templates)."""

from config.errors import ConfigError, ConfigFileError, ConfigValueError
from config.settings import Settings, load_settings
from config.var_paths import VarPaths

__all__ = [
    "ConfigError",
    "ConfigFileError",
    "ConfigValueError",
    "Settings",
    "VarPaths",
    "load_settings",
]
