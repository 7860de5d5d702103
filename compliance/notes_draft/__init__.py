"""Collection notes drafted from a call's transcript (issue 22, item 3). Pure rules, no service.

``draft_note(utterances, contact_type, now)`` gives the outcome, the promised amount and day
(read from Chinese as said: 周五之前还五千, 下个月15号还两千三) and a two-to-three-line summary.
"""

from compliance.notes_draft.draft import (
    OUTCOME_ZH,
    RULES_VERSION,
    DraftOutcome,
    NoteDraft,
    Party,
    draft_note,
    yuan,
)

__all__ = [
    "OUTCOME_ZH",
    "RULES_VERSION",
    "DraftOutcome",
    "NoteDraft",
    "Party",
    "draft_note",
    "yuan",
]
