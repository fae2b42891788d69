"""Inbox queries: a user's notifications, newest first."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session

from service.models import Notification


def inbox_statement(user_id: int, unread: bool | None) -> Select[Any]:
    statement = select(Notification).where(Notification.user_id == user_id)
    if unread is True:
        statement = statement.where(Notification.read_at.is_(None))
    elif unread is False:
        statement = statement.where(Notification.read_at.is_not(None))
    return statement.order_by(Notification.id.desc())


def unread_count(session: Session, user_id: int) -> int:
    statement = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return session.scalar(statement) or 0


def get_own(session: Session, notification_id: int, user_id: int) -> Notification | None:
    return session.scalar(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now, updated_at=now)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


def exists_for(session: Session, kind: str, object_type: str, object_id: int) -> bool:
    """Whether any notification of `kind` about this object was ever sent (idempotent jobs)."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Notification.kind == kind,
                    Notification.object_type == object_type,
                    Notification.object_id == object_id,
                )
            )
        )
    )
