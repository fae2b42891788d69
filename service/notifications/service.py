"""Create notifications. Domain services call `notify` / `notify_org` inside their transaction,
so a notification exists exactly when the change that caused it was committed."""

from collections.abc import Iterable

from sqlalchemy.orm import Session

from service.kit.db import utcnow
from service.kit.errors import NotFound
from service.kit.pagination import Page, PageParams, page_of
from service.models import Notification, User
from service.notifications import mail, repository
from service.notifications.schemas import InboxFilter, NotificationRead


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
    rows = [
        Notification(
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            object_type=object_type,
            object_id=object_id,
        )
        for user_id in dict.fromkeys(u for u in user_ids if u is not None)
    ]
    session.add_all(rows)
    session.flush()
    mail.stage(session, rows)  # e-mail copies, sent only once this transaction commits
    return rows


def org_user_ids(session: Session, org_id: int) -> list[int]:
    """The active staff of an organisation, who hear about its postings and applications.

    Only ORG_STAFF_ROLES: an expert, broker or admin who belongs to the organisation acts in
    another capacity — an expert of an applicant university must not learn of its awards and
    rejections (a conflict-of-interest leak); brokers and admins hear through their own roles.
    """
    return repository.org_staff_ids(session, org_id)


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
    return notify(session, org_user_ids(session, org_id), kind, title, body, link=link, obj=obj)


def admin_ids(session: Session) -> list[int]:
    """The active admins (科技局), who hear about review results and other bureau events."""
    return repository.admin_ids(session)


def notify_admins(
    session: Session,
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    obj: tuple[str, int] | None = None,
) -> list[Notification]:
    return notify(session, admin_ids(session), kind, title, body, link=link, obj=obj)


def inbox(
    session: Session, user: User, filters: InboxFilter, page: PageParams
) -> Page[NotificationRead]:
    """The caller's notifications, newest first."""
    rows, total = repository.inbox_page(session, user.id, filters, page)
    return page_of([NotificationRead.model_validate(n) for n in rows], total, page)


def unread_count(session: Session, user: User) -> int:
    return repository.unread_count(session, user.id)


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
