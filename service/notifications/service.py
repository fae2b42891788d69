"""Create notifications. Domain services call `notify` / `notify_org` inside their transaction,
so a notification exists exactly when the change that caused it was committed."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Notification, User


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
    return rows


def org_user_ids(session: Session, org_id: int) -> list[int]:
    """The active users of an organisation (who hear about their organisation's postings)."""
    statement = select(User.id).where(User.org_id == org_id, User.is_active.is_(True))
    return list(session.scalars(statement))


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
