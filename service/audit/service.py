"""The append-only audit trail of lifecycle transitions."""

from sqlalchemy.orm import Session

from service.audit import repository
from service.audit.schemas import AuditEventRead
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
    session.add(event)
    session.flush()
    return event


def history(session: Session, object_type: str, object_id: int) -> list[AuditEventRead]:
    """One object's state changes with the actors' names (the caller checks who may read it)."""
    rows = repository.history(session, object_type, object_id)
    return [AuditEventRead.build(event, name) for event, name in rows]
