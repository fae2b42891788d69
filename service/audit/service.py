"""The append-only audit trail of lifecycle transitions."""

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from service.audit import repository
from service.audit.schemas import AuditEventRead, AuditFilter, AuditRow
from service.kit.pagination import Page, PageParams, page_of
from service.users import repository as users

_PENDING = "audit_pending"  # session.info key: rows recorded and not yet written


def record_transition(
    session: Session,
    object_type: str,
    object_id: int,
    action: str,
    from_state: str | None,
    to_state: str,
    actor_id: int | None,
    reason: str | None = None,
) -> None:
    """Record a transition; it is written with the change it records, at the session's next
    flush, query or commit, together with the others of that step (one INSERT for all)."""
    row = {
        "object_type": object_type,
        "object_id": object_id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "actor_id": actor_id,
        "reason": reason,
    }
    session.info.setdefault(_PENDING, []).append(row)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: object, _instances: object) -> None:
    write_pending(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _before_query(state: ORMExecuteState) -> None:
    """A query in the same transaction sees the recorded rows, like any autoflushed change."""
    if state.session.info.get(_PENDING):
        write_pending(state.session)


def write_pending(session: Session) -> None:
    """Write the recorded transitions (a step with several moves is one executemany)."""
    rows = session.info.pop(_PENDING, None)
    if rows:
        repository.insert_events(session, rows)


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
