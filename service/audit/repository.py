"""Queries over the audit trail."""

from collections.abc import Sequence

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from service.models import AuditEvent, User


def history(
    session: Session, object_type: str, object_id: int
) -> Sequence[Row[AuditEvent, str | None]]:
    """One object's state changes, oldest first, each with its actor's display name."""
    return session.execute(
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    ).all()
