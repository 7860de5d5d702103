"""Approved phrases (合规话术) per situation, and which situations a case calls for.

The phrases are data beside the lexicon (``config/phrases/<lexicon>.toml``, the admins'
copy in ``var/phrases/`` first), validated at load (:mod:`.load`), vetted against the
detector (:mod:`.vet`: an approved phrase that the detector would flag is refused), and
chosen per case from the case's facts (:mod:`.choose`, pure).
"""

from compliance.phrases.choose import (
    REQUIRED,
    CaseFacts,
    ComplaintSeen,
    Said,
    SituationChoice,
    choose_situations,
)
from compliance.phrases.load import load_phrases, parse_phrases, shipped_phrases_dir
from compliance.phrases.model import PhraseBook, SituationSpec
from compliance.phrases.vet import tripped

__all__ = [
    "REQUIRED",
    "CaseFacts",
    "ComplaintSeen",
    "PhraseBook",
    "Said",
    "SituationChoice",
    "SituationSpec",
    "choose_situations",
    "load_phrases",
    "parse_phrases",
    "shipped_phrases_dir",
    "tripped",
]
