"""Create notifications. Domain services call `notify` / `notify_orgs` inside their transaction,
so a notification exists exactly when the change that caused it was committed."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, FromClause, Select
from sqlalchemy.orm import Session

from service.kit.db import utcnow
from service.kit.errors import found
from service.kit.pagination import Page, PageParams, page_of
from service.models import Notification, User
from service.notifications import mail, repository
from service.notifications import mail as mail_copies
from service.notifications.repository import Notice, Said
from service.notifications.schemas import InboxFilter, NotificationRead


def notify(
    session: Session,
    user_ids: Iterable[int] | ColumnElement[Any],
    kind: str,
    title: Said,
    body: Said = "",
    *,
    link: Said | None = None,
    obj: tuple[str, int | ColumnElement[Any]] | None = None,
    mail: bool = True,
    per: FromClause | None = None,
) -> list[Notification]:
    """One notification per distinct user (duplicates and None ids are dropped); `mail=False`
    for what reaches the inbox only (subscription matches: their e-mail is the digest).

    With `per` (a subquery), a notice about each of its rows to the active user its column
    `user_ids` names; the texts, link and object id may be expressions over the row's
    columns. The rows are found by the statement that writes the notices (one statement for
    none or many; inside `together`, at the end of the block)."""
    if per is not None:
        if not isinstance(user_ids, ColumnElement) or not mail:
            raise ValueError("notify(per=…) takes the column naming each row's user, with mail")
        who = repository.user_is(user_ids)
        return _send(session, Notice(who, kind, title, body, link, obj, per=per))
    if isinstance(user_ids, ColumnElement):
        raise ValueError("a column as notify's users needs `per`, the rows it is a column of")
    ids: Iterable[int] = user_ids
    if not _plain(title, body, link, obj):
        raise ValueError("an expression as notify's text or object id needs `per`")
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
        for user_id in dict.fromkeys(u for u in ids if u is not None)
    ]
    if not values:
        return []
    rows = repository.insert_many(session, values)  # one INSERT for all of them
    if mail:
        mail_copies.stage(session, rows)  # e-mail copies, sent only once this commits
    return rows


def _plain(
    title: Said, body: Said, link: Said | None, obj: tuple[str, int | ColumnElement[Any]] | None
) -> bool:
    """Texts and object id given as values, not expressions over a row of `per`."""
    return not any(isinstance(v, ColumnElement) for v in (title, body, link, obj and obj[1]))


def org_user_ids(session: Session, org_id: int) -> list[int]:
    """The active staff of an organisation, who hear about its postings and applications.

    Only ORG_STAFF_ROLES: an expert, broker or admin who belongs to the organisation acts in
    another capacity — an expert of an applicant university must not learn of its awards and
    rejections (a conflict-of-interest leak); brokers and admins hear through their own roles.
    """
    return repository.org_staff_ids(session, org_id)


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
    """One notification per active staff member (see org_user_ids) of each organisation (one
    organisation: `[org_id]`); `org_ids` may be a subquery: one statement however many
    organisations and users."""
    orgs = org_ids if isinstance(org_ids, Select | CompoundSelect) else sorted(set(org_ids))
    return _send(session, Notice(repository.org_staff(orgs), kind, title, body, link, obj))


def notify_admins(
    session: Session,
    kind: str,
    title: Said,
    body: Said = "",
    *,
    link: str | None = None,
    obj: tuple[str, int | ColumnElement[Any]] | None = None,
    per: FromClause | None = None,
) -> list[Notification]:
    """The active admins (科技局), who hear about review results and other bureau events;
    with `per` (a subquery), once about each of its rows (see notify)."""
    return _send(session, Notice(repository.ACTIVE_ADMINS, kind, title, body, link, obj, per))


def notify_brokers(
    session: Session,
    kind: str,
    title: str,
    body: str = "",
    *,
    link: str | None = None,
    obj: tuple[str, int] | None = None,
    exclude_orgs: Iterable[int] = (),
) -> list[Notification]:
    """The active brokers (less those of `exclude_orgs`), in one statement."""
    who = repository.active_brokers(sorted(set(exclude_orgs)))
    return _send(session, Notice(who, kind, title, body, link, obj))


_TOGETHER = "notices_together"  # session.info key: the notices of an open `together` block


@contextmanager
def together(session: Session) -> Iterator[None]:
    """The notices sent to organisations, admins, brokers or each row's user inside the block
    (notify_orgs, notify_admins, notify_brokers, notify with `per`; those answer [] there) are
    written when it ends, in one statement with their e-mail copies staged; a step that tells
    several audiences runs one INSERT. An error in the block drops them (its transaction rolls
    back); a block inside another leaves them to the outer one."""
    if _TOGETHER in session.info:
        yield
        return
    session.info[_TOGETHER] = []
    try:
        yield
    except BaseException:
        session.info.pop(_TOGETHER, None)
        raise
    notices = session.info.pop(_TOGETHER)
    mail.stage(session, repository.insert_for_all(session, notices))


def _send(session: Session, notice: Notice) -> list[Notification]:
    """Write `notice` now (one INSERT … SELECT, e-mail copies staged), or at the end of the
    `together` block it is sent in."""
    pending = session.info.get(_TOGETHER)
    if pending is not None:
        pending.append(notice)
        return []
    rows = repository.insert_for_all(session, [notice])
    mail.stage(session, rows)  # e-mail copies, sent only once this transaction commits
    return rows


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
    note = found(
        repository.get_own(session, notification_id, user.id),
        ("通知不存在", "Notification not found"),
    )
    if note.read_at is None:
        note.read_at = utcnow()
        session.flush()
    return note


def mark_all_read(session: Session, user: User) -> int:
    return repository.mark_all_read(session, user.id, utcnow())
