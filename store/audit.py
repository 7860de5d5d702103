"""Writing the audit trail, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from store.models import AuditLog
from store.types import utcnow


def record_audit(
    session: Session,
    actor: str,
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Add one audit row; it commits or rolls back with the change it describes."""
    row = AuditLog(
        at=utcnow(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail or {},
    )
    session.add(row)
    return row
