"""Create notifications. Domain services call `notify` / `notify_org` inside their transaction,
so a notification exists exactly when the change that caused it was committed."""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    Select,
    String,
    Text,
    and_,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from service.kit.db import UTCDateTime, utcnow
from service.kit.errors import NotFound
from service.models import Notification, User
from service.models.enums import ORG_STAFF_ROLES, Role
from service.notifications import mail, repository


def notify(
    session: Session,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    obj: tuple[str, int] | None = None,
) -> list[Notification]:
    """One notification per distinct user (duplicates and None ids are dropped)."""
    object_type, object_id = obj if obj else (None, None)
    values = [
        {
            "user_id": user_id,
            "kind": kind,
            "title": title,
            "body": body,
            "link": link,
            "object_type": object_type,
            "object_id": object_id,
        }
        for user_id in dict.fromkeys(u for u in user_ids if u is not None)
    ]
    if not values:
        return []
    # One INSERT for all of them (the rows come back in no particular order).
    rows = list(session.scalars(insert(Notification).returning(Notification), values))
    rows.sort(key=lambda n: n.id)
    mail.stage(session, rows)  # e-mail copies, sent only once this transaction commits
    return rows


def org_user_ids(session: Session, org_id: int) -> list[int]:
    """The active staff of an organisation, who hear about its postings and applications.

    Only ORG_STAFF_ROLES: an expert, broker or admin who belongs to the organisation acts in
    another capacity — an expert of an applicant university must not learn of its awards and
    rejections (a conflict-of-interest leak); brokers and admins hear through their own roles.
    """
    statement = select(User.id).where(
        User.org_id == org_id, User.is_active.is_(True), User.role.in_(ORG_STAFF_ROLES)
    )
    return list(session.scalars(statement.order_by(User.id)))


def notify_orgs(
    session: Session,
    org_ids: Iterable[int] | Select[Any] | CompoundSelect,
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    obj: tuple[str, int] | None = None,
) -> list[Notification]:
    """One notification per active staff member (see org_user_ids) of each organisation;
    `org_ids` may be a subquery."""
    orgs = org_ids if isinstance(org_ids, Select | CompoundSelect) else sorted(set(org_ids))
    staff = and_(User.org_id.in_(orgs), User.role.in_(ORG_STAFF_ROLES))
    return _notify_where(session, staff, kind, title, body, link, obj)


def _notify_where(
    session: Session,
    who: ColumnElement[bool],
    kind: str,
    title: str,
    body: str,
    link: str | None,
    obj: tuple[str, int] | None,
) -> list[Notification]:
    """One notification per active user matching `who`, in one statement (INSERT … SELECT)."""
    object_type, object_id = obj if obj else (None, None)
    now = utcnow()
    users = select(
        User.id,
        literal(kind, String()),
        literal(title, String()),
        literal(body, Text()),
        literal(link, String()),
        literal(object_type, String()),
        literal(object_id, Integer()),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    ).where(who, User.is_active.is_(True))
    statement = insert(Notification).from_select(_COLUMNS, users.order_by(User.id))
    rows = sorted(session.scalars(statement.returning(Notification)), key=lambda n: n.id)
    mail.stage(session, rows)  # e-mail copies, sent only once this transaction commits
    return rows


_COLUMNS = [
    "user_id",
    "kind",
    "title",
    "body",
    "link",
    "object_type",
    "object_id",
    "created_at",
    "updated_at",
]


def notify_org(
    session: Session,
    org_id: int,
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    obj: tuple[str, int] | None = None,
) -> list[Notification]:
    return notify_orgs(session, [org_id], kind, title, body, link=link, obj=obj)


def notify_admins(
    session: Session,
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    obj: tuple[str, int] | None = None,
) -> list[Notification]:
    return _notify_where(session, User.role == Role.admin, kind, title, body, link, obj)


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """Mark one of the caller's notifications read; someone else's is a 404, not a hint."""
    note = repository.get_own(session, notification_id, user.id)
    if note is None:
        raise NotFound("通知不存在", "Notification not found")
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, user: User) -> int:
    return repository.mark_all_read(session, user.id, utcnow())
