"""The append-only audit trail of lifecycle transitions."""

from sqlalchemy.orm import Session

from service.audit import repository
from service.audit.schemas import AuditEventRead, AuditFilter, AuditRow
from service.kit.pagination import Page, PageParams, page_of
from service.models import AuditEvent
from service.users import repository as users


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


def history(session: Session, object_type: str, object_id: int) -> list[AuditEventRead]:
    """One object's state changes with the actors' names (the caller checks who may read it)."""
    rows = repository.history(session, object_type, object_id)
    return [AuditEventRead.build(event, name) for event, name in rows]


def trail(session: Session, filters: AuditFilter, page: PageParams) -> Page[AuditRow]:
    """A page of the whole trail with the actors' names (admins only: the endpoint checks)."""
    rows, total = repository.list_page(session, filters, page)
    names = users.display_names(session, [r.actor_id for r in rows])
    items = [AuditRow.build(r, names.get(r.actor_id) if r.actor_id else None) for r in rows]
    return page_of(items, total, page)
