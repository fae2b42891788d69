"""Inbox queries: a user's notifications, newest first."""

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session

from service.models import Application, ApplicationMember, Capability, Match, Need, Notification
from service.models.enums import ApplicationStatus, NeedStatus

OPEN_APPLICATION = (ApplicationStatus.submitted.value, ApplicationStatus.shortlisted.value)


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


def needs_closing(session: Session, first: date, last: date) -> Sequence[Need]:
    """Published needs whose 揭榜 deadline falls in [first, last], row-locked so two
    concurrent reminder runs cannot both decide a need was not reminded yet."""
    statement = (
        select(Need)
        .where(Need.status == NeedStatus.published, Need.deadline.between(first, last))
        .order_by(Need.deadline, Need.id)
        .with_for_update()
    )
    return session.scalars(statement).all()


def interested_org_ids(session: Session, need_id: int) -> set[int]:
    """Organisations that showed interest in a need: every member of a live application,
    and the owner of a capability whose match to it was marked interesting by that side."""
    applicants = (
        select(ApplicationMember.org_id)
        .join(Application, Application.id == ApplicationMember.application_id)
        .where(Application.need_id == need_id, Application.status.in_(OPEN_APPLICATION))
    )
    matched = (
        select(Capability.org_id)
        .join(Match, Match.capability_id == Capability.id)
        .where(Match.need_id == need_id, Match.capability_interest.is_(True))
    )
    return set(session.scalars(applicants)) | set(session.scalars(matched))
