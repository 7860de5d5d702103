"""What the complaint command and the complaint pages share: the configured due days, and
making a complaint's evidence bundle with its audit row.

Making a bundle is audited whether the CLI writes it or the console sends it: the row
names the complaint, the ZIP's sha256 and size, the manifest's sha256 and the audit chain
head the manifest carries, so the bank's copy can be matched to the log later.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from compliance.complaints import DueDays
from console.app import App
from store.audit import chain_head, record_audit
from store.complaint_bundle import Bundle, build_bundle


def due_days(app: App) -> DueDays:
    """The due days per grade from ``[complaints]``."""
    found = app.settings.complaints
    return DueDays(found.due_days_routine, found.due_days_important, found.due_days_serious)


def bundle_name(complaint_id: int) -> str:
    return f"complaint-{complaint_id}-evidence.zip"


def make_bundle(  # noqa: PLR0917 (the complaint, where it goes, who asked and when)
    app: App, session: Session, complaint_id: int, target: Path, actor: str, at: datetime
) -> Bundle:
    """Write the bundle to ``target`` and add the audit row in ``session``'s transaction."""
    head = chain_head(app.reads)  # what the log held when the bundle was made
    made = build_bundle(session, complaint_id, app.paths.recordings, target, head, at, actor)
    record_audit(
        session,
        actor,
        "complaint.bundle",
        object_type="complaint",
        object_id=str(complaint_id),
        detail={
            "sha256": made.sha256,
            "bytes": made.size,
            "files": made.files,
            "manifest_sha256": made.manifest_sha256,
            "audit_head": str(head),
        },
    )
    return made
