"""The note form's draft: a finished call's stored transcript through the pure drafting
rules (``compliance.notes_draft``), at the call's local date in the centre's zone; and the
fields a promise in the form still lacks."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from compliance.detector.findings import Utterance as Line
from compliance.notes_draft import RULES_VERSION, NoteDraft, draft_note
from console.i18n import N_
from store.models import CallAttempt
from store.note_drafts import transcript_of_attempt
from store.notes import DraftShown, NoteOutcome
from store.pii import mask_text


@dataclass(frozen=True)
class DraftedNote:
    recording_id: int
    draft: NoteDraft

    def shown(self) -> DraftShown:
        d = self.draft
        return DraftShown(
            d.outcome.value, d.promised_amount_cents, d.promised_date, d.summary, RULES_VERSION
        )


def draft_for_attempt(session: Session, attempt: CallAttempt, zone: ZoneInfo) -> DraftedNote | None:
    """The draft of a finished call's note, or None while the call has no transcript."""
    transcript = transcript_of_attempt(session, attempt)
    if transcript is None:
        return None
    lines = [Line(who.value, start, end, text) for who, start, end, text in transcript.lines]
    # The call's own day anchors 明天 and 周五: in the centre's zone, not UTC's, not today's.
    at = transcript.call_at.astimezone(zone)
    draft = draft_note(lines, transcript.contact_type, at)
    # The summary quotes the callee: a number they said is masked, in the form and in the
    # kept draft alike (so a draft saved unchanged still reads as unchanged).
    masked = replace(draft, summary=mask_text(draft.summary))
    return DraftedNote(transcript.recording_id, masked)


MISSING_ZH = {
    "promised_amount": N_("请填写承诺金额：承诺还款须有金额"),
    "promised_date": N_("请填写承诺日期：承诺还款须有日期"),
}
"""Catalog messages, shown on the field in the reader's language."""


def missing_fields(form: dict[str, str]) -> dict[str, str]:
    """The fields a promise to pay still lacks in the form as shown (drafted, or as the agent
    sent it), each with what to say on the field: marked before the agent presses save,
    since saving without them is refused."""
    if form.get("outcome") != NoteOutcome.PROMISE_TO_PAY.value:
        return {}
    given = {"promised_amount": form.get("amount", ""), "promised_date": form.get("date", "")}
    return {field: MISSING_ZH[field] for field, value in given.items() if not value.strip()}
