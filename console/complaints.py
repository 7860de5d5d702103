"""What the complaint command and the complaint pages share: the configured due days, and
making a complaint's evidence bundle with its audit row.

Making a bundle is audited whether the CLI writes it or the console sends it: the row
names the complaint, the ZIP's sha256 and size, the manifest's sha256 and the audit chain
head the manifest carries, so the bank's copy can be matched to the log later.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from compliance.complaints import DueDays
from console.app import App
from recorder.errors import ArchiveError, KeyProblem, Tampered
from store.audit import chain_head, record_audit
from store.complaint_bundle import CHANGED, Bundle, BundleError, ReadAudio, build_bundle
from store.said import N_

log = logging.getLogger(__name__)


def due_days(app: App) -> DueDays:
    """The due days per grade from ``[complaints]``."""
    found = app.settings.complaints
    return DueDays(found.due_days_routine, found.due_days_important, found.due_days_serious)


def bundle_name(complaint_id: int) -> str:
    return f"complaint-{complaint_id}-evidence.zip"


def _reader(app: App) -> ReadAudio:
    """The archive's reader (sealed files decrypted in memory), its errors as BundleError."""

    def read(path: Path, sha256: str) -> Iterator[bytes]:
        try:
            audio = app.archive.open(path, sha256)
            yield from audio.chunks(0, audio.size - 1)
        except KeyProblem as exc:
            if not isinstance(exc, Tampered):
                log.warning("%s cannot be decrypted here: %s", path, exc)
                raise BundleError(N_("此处无法解密（密钥不对或不在）")) from exc
            log.warning("%s does not match what was stored: %s", path, exc)
            raise BundleError(CHANGED) from exc
        except ArchiveError as exc:
            log.warning("%s does not match what was stored: %s", path, exc)
            raise BundleError(CHANGED) from exc

    return read


def make_bundle(  # noqa: PLR0917 (the complaint, where it goes, who asked and when)
    app: App, session: Session, complaint_id: int, target: Path, actor: str, at: datetime
) -> Bundle:
    """Write the bundle to ``target`` and add the audit row in ``session``'s transaction."""
    head = chain_head(app.reads)  # what the log held when the bundle was made
    made = build_bundle(
        session, complaint_id, app.paths.recordings, target, head, at, actor, _reader(app)
    )
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
