"""The append-only audit trail of lifecycle transitions."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import AuditEvent


def record_transition(
    session: Session,
    object_type: str,
    object_id: int,
    action: str,
    from_state: str | None,
    to_state: str,
    actor_id: int | None,
    reason: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        object_type=object_type,
        object_id=object_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor_id,
        reason=reason,
    )
    session.add(event)  # written with the change it records, at the caller's flush
    return event


def history(session: Session, object_type: str, object_id: int) -> Sequence[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)
    )
    return session.scalars(statement).all()
