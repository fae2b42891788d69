"""Inbox queries: a user's notifications, newest first."""

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    FromClause,
    Integer,
    Row,
    Select,
    String,
    Text,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from service.kit.db import UTCDateTime, utcnow
from service.kit.pagination import PageParams, paginate
from service.models import (
    Application,
    ApplicationMember,
    Capability,
    MailRetry,
    Match,
    Need,
    Notification,
    User,
)
from service.models.enums import ORG_STAFF_ROLES, AccountStatus, ApplicationStatus, NeedStatus, Role
from service.notifications.schemas import InboxFilter

OPEN_APPLICATION = (ApplicationStatus.submitted.value, ApplicationStatus.shortlisted.value)


def _inbox(user_id: int, unread: bool | None) -> Select[Any]:
    statement = select(Notification).where(Notification.user_id == user_id)
    if unread is True:
        statement = statement.where(Notification.read_at.is_(None))
    elif unread is False:
        statement = statement.where(Notification.read_at.is_not(None))
    return statement.order_by(Notification.id.desc())


def inbox_page(
    session: Session, user_id: int, filters: InboxFilter, page: PageParams
) -> tuple[list[Notification], int]:
    return paginate(session, _inbox(user_id, filters.unread), page)


def unread(session: Session, user_id: int) -> Sequence[Notification]:
    return session.scalars(_inbox(user_id, unread=True)).all()


def org_staff_ids(session: Session, org_id: int) -> list[int]:
    """The active users of `org_id` in ORG_STAFF_ROLES (see service.org_user_ids)."""
    statement = select(User.id).where(
        User.org_id == org_id, User.is_active.is_(True), User.role.in_(ORG_STAFF_ROLES)
    )
    return list(session.scalars(statement.order_by(User.id)))


def org_staff(orgs: list[int] | Select[Any] | CompoundSelect) -> ColumnElement[bool]:
    """The users in ORG_STAFF_ROLES of `orgs` (ids or a subquery of ids)."""
    return and_(User.org_id.in_(orgs), User.role.in_(ORG_STAFF_ROLES))


# The bureau's admins whose account is active (insert_for_all adds is_active).
ACTIVE_ADMINS = and_(User.role == Role.admin, User.status == AccountStatus.active)


def user_is(user_id: ColumnElement[Any]) -> ColumnElement[bool]:
    """The user `user_id` (a column of the rows a notice is sent for) names."""
    return User.id == user_id


def active_brokers(exclude_orgs: list[int]) -> ColumnElement[bool]:
    """The active brokers, less those of `exclude_orgs` (a party's own broker has a conflict
    of interest and may not take the match up)."""
    outside = or_(User.org_id.is_(None), User.org_id.not_in(exclude_orgs))
    return and_(User.role == Role.broker, User.status == AccountStatus.active, outside)


def insert_many(session: Session, values: list[dict[str, Any]]) -> list[Notification]:
    """The notifications `values` in one INSERT, in id order."""
    if not values:
        return []
    rows = list(session.scalars(insert(Notification).returning(Notification), values))
    return sorted(rows, key=lambda n: n.id)


# A text of a notice: as given, or an expression over the row of `per` it is sent for.
Said = str | ColumnElement[Any]


class Notice(NamedTuple):
    """Who hears (a condition on users), kind, title, body, link, (object type, object id);
    with `per`, once for each of its rows (who may name its columns, and so may the texts and
    the object id): the rows a notice is about are found by the statement that sends it."""

    who: ColumnElement[bool]
    kind: str
    title: Said
    body: Said
    link: Said | None
    obj: tuple[str, int | ColumnElement[Any]] | None
    per: FromClause | None = None


def insert_for_all(session: Session, notices: Sequence[Notice]) -> list[Notification]:
    """Each of `notices` to every active user its condition matches, all in one statement
    (INSERT … SELECT, the notices' SELECTs joined by UNION ALL), in id order."""
    if not notices:
        return []
    now = utcnow()
    selects = [_recipients(notice, now) for notice in notices]
    source = selects[0].order_by(User.id) if len(selects) == 1 else union_all(*selects)
    statement = insert(Notification).from_select(_COLUMNS, source)
    return sorted(session.scalars(statement.returning(Notification)), key=lambda n: n.id)


def _recipients(notice: Notice, now: datetime) -> Select[*tuple[Any, ...]]:
    who, kind, title, body, link, obj, per = notice
    object_type, object_id = obj if obj else (None, None)
    statement = select(
        User.id,
        literal(kind, String()),
        _said(title, String()),
        _said(body, Text()),
        _said(link, String()),
        literal(object_type, String()),
        _said(object_id, Integer()),
        literal(now, UTCDateTime()),
        literal(now, UTCDateTime()),
    )
    if per is not None:  # each recipient once per row of `per`
        return statement.select_from(User).join(per, who).where(User.is_active.is_(True))
    return statement.where(who, User.is_active.is_(True))


def _said(value: Any, type_: Any) -> ColumnElement[Any]:
    return value if isinstance(value, ColumnElement) else literal(value, type_)


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


def mail_addresses(session: Session, user_ids: set[int]) -> dict[int, Row[int, str, str]]:
    """(id, email, display_name) of those of `user_ids` who gave an e-mail address."""
    statement = select(User.id, User.email, User.display_name).where(
        User.id.in_(user_ids), User.email != ""
    )
    return {row.id: row for row in session.execute(statement)}


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


# --- the mail outbox (service/notifications/mail.py, retries.py) --------------------------
def keep_mails(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert outbox rows in one statement; their ids, in the order given."""
    statement = insert(MailRetry).returning(MailRetry.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, list(rows)))


def unsettled_mails(session: Session, ids: Collection[int]) -> set[int]:
    """Those of `ids` that exist (committed) and are neither sent nor given up."""
    return set(
        session.scalars(
            select(MailRetry.id).where(
                MailRetry.id.in_(ids), MailRetry.sent_at.is_(None), MailRetry.gave_up_at.is_(None)
            )
        )
    )


def mark_mails(
    session: Session, sent: Collection[int], refused: dict[int, str], now: datetime, due: datetime
) -> None:
    """The first attempt's outcome: `sent` delivered, `refused` (id → reason) due again."""
    if sent:
        session.execute(
            update(MailRetry).where(MailRetry.id.in_(sent)).values(attempts=1, sent_at=now)
        )
    if refused:
        values = [
            {"id": i, "attempts": 1, "last_error": r, "next_attempt_at": due}
            for i, r in refused.items()
        ]
        session.execute(update(MailRetry), values)


def forget_settled_mails(session: Session, before: datetime) -> int:
    """Delete outbox rows sent or given up before `before`; how many."""
    result = session.execute(
        delete(MailRetry).where(or_(MailRetry.sent_at < before, MailRetry.gave_up_at < before))
    )
    return int(getattr(result, "rowcount", 0) or 0)


def due_mails(session: Session, now: datetime, limit: int) -> Sequence[MailRetry]:
    """Mails due for another attempt, oldest first; locked, and skipped by a concurrent tick
    (PostgreSQL; SQLite's writing transaction already runs alone)."""
    return session.scalars(
        select(MailRetry)
        .where(
            MailRetry.sent_at.is_(None),
            MailRetry.gave_up_at.is_(None),
            MailRetry.next_attempt_at <= now,
        )
        .order_by(MailRetry.next_attempt_at, MailRetry.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
