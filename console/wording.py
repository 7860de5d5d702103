"""The approved-phrases panel (合规话术) of the agent's pages: the phrases for the lexicon in
force, and for each case on the page the situations it calls for, with why.

Not pure: reads the phrases file and the cases' facts; the choice itself is
:func:`compliance.phrases.choose_situations`. A phrases file that cannot be loaded does not
take the agent's page down: the panel says why it is empty, and the log says it too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from compliance.errors import PhrasesError
from compliance.phrases import PhraseBook, SituationChoice, choose_situations
from console.app import App
from console.i18n import _, say
from console.queue_labels import RELATION_ZH
from store.case_queue import CaseFile, case_files
from store.wording_facts import wording_facts

log = logging.getLogger("callwarden.console.wording")


@dataclass(frozen=True)
class Wording:
    """The panel: every situation's phrases, and per case the situations it calls for."""

    book: PhraseBook | None
    problem: str = ""
    """Why there are no phrases to show ("" when there are)."""
    chosen: Mapping[int, tuple[SituationChoice, ...]] = field(default_factory=dict)

    def situations(self, case_id: int) -> dict[str, tuple[str, ...]]:
        """Situation id → its reasons in the reader's language, for the situations
        ``case_id`` calls for."""
        return {c.situation: tuple(say(r) for r in c.reasons) for c in self.chosen.get(case_id, ())}


def wording_for(  # noqa: PLR0917 (the page's cases and what is dialled)
    app: App,
    session: Session,
    files: Mapping[int, CaseFile] | None,
    case_ids: list[int],
    now: datetime,
    dialling: Mapping[int, int] | None = None,
) -> Wording:
    """The panel for ``case_ids`` (their files, when the page read them already)."""
    try:
        book = app.phrases()
    except PhrasesError as exc:
        log.error("approved phrases cannot be loaded: %s", exc)
        return Wording(None, _("合规话术无法载入：%(why)s") % {"why": say(exc)})
    zone = ZoneInfo(app.settings.policy.timezone)
    if files is None:
        files = case_files(session, case_ids, now, zone)
    cues = {cue for spec in book.situations.values() for cue in spec.cues}
    who = {relation: _(word) for relation, word in RELATION_ZH.items()}  # the reader's words
    facts = wording_facts(
        session, {i: files[i] for i in case_ids if i in files}, cues, zone, who, dialling
    )
    return Wording(book, chosen={i: choose_situations(book, f) for i, f in facts.items()})
