"""The detector's lexicon: what to look for, and what clears it (data, edited by admins)."""

from compliance.lexicon.load import load_lexicon, parse_lexicon, shipped_lexicons_dir
from compliance.lexicon.model import (
    SEVERITY_RANK,
    CategorySpec,
    ClearSpec,
    LexiconFile,
    RuleSpec,
    Severity,
)

__all__ = [
    "SEVERITY_RANK",
    "CategorySpec",
    "ClearSpec",
    "LexiconFile",
    "RuleSpec",
    "Severity",
    "load_lexicon",
    "parse_lexicon",
    "shipped_lexicons_dir",
]
