"""Queries over the audit trail."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.orm import Session

from service.audit.schemas import AuditFilter
from service.kit.pagination import PageParams, paginate
from service.kit.repository import equal
from service.models import AuditEvent, User


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append audit rows (no ids read back: one statement for any number of rows; a None is
    written as NULL, not left out, so rows with and without a reason still go together)."""
    session.execute(insert(AuditEvent).execution_options(render_nulls=True), rows)


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


def list_page(
    session: Session, filters: AuditFilter, page: PageParams
) -> tuple[list[AuditEvent], int]:
    """The whole trail, newest first, under `filters`."""
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    statement = statement.where(*equal(AuditEvent, filters, "object_type", "object_id", "actor_id"))
    return paginate(session, statement, page)
