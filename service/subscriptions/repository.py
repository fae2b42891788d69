"""Every query of subscriptions, their hits and digests."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from service.kit.db import is_unique_violation
from service.kit.pagination import PageParams, paginate
from service.models import (
    Capability,
    Field,
    Need,
    Subscription,
    SubscriptionDigest,
    SubscriptionHit,
    User,
)
from service.models.enums import (
    AccountStatus,
    CapabilityStatus,
    NeedStatus,
    SubscriptionKind,
    SubscriptionStatus,
)
from service.subscriptions.lifecycle import LIVE_STATES

_IN_SERVICE = (
    User.is_active.is_(True),
    User.status == AccountStatus.active,
)


def count_live(session: Session, user_id: int) -> int:
    statement = select(func.count(Subscription.id)).where(
        Subscription.user_id == user_id, Subscription.status.in_(LIVE_STATES)
    )
    return session.scalar(statement) or 0


def list_page(session: Session, user_id: int, page: PageParams) -> tuple[list[Subscription], int]:
    statement = (
        select(Subscription)
        .where(Subscription.user_id == user_id, Subscription.status.in_(LIVE_STATES))
        .order_by(Subscription.created_at.desc(), Subscription.id.desc())
    )
    return paginate(session, statement, page)


def get(
    session: Session, sub_id: int, user_id: int | None = None, *, for_update: bool = False
) -> Subscription | None:
    """A live subscription (of `user_id` when given)."""
    statement = select(Subscription).where(
        Subscription.id == sub_id, Subscription.status.in_(LIVE_STATES)
    )
    if user_id is not None:
        statement = statement.where(Subscription.user_id == user_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalar(statement)


def of_user(session: Session, user_id: int, ids: Iterable[int]) -> Sequence[Subscription]:
    statement = (
        select(Subscription)
        .where(
            Subscription.user_id == user_id,
            Subscription.id.in_(sorted(set(ids))),
            Subscription.status.in_(LIVE_STATES),
        )
        .order_by(Subscription.id)
        .with_for_update()
    )
    return session.scalars(statement).all()


def hit_counts(session: Session, sub_ids: list[int]) -> dict[int, int]:
    if not sub_ids:
        return {}
    statement = (
        select(SubscriptionHit.subscription_id, func.count(SubscriptionHit.id))
        .where(SubscriptionHit.subscription_id.in_(sub_ids))
        .group_by(SubscriptionHit.subscription_id)
    )
    return {sub_id: count for sub_id, count in session.execute(statement)}


def field_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    statement = select(Field.code, Field.name).where(Field.code.in_(wanted))
    return {code: name for code, name in session.execute(statement)}


def active_search(session: Session, side: str) -> Sequence[tuple[Subscription, User]]:
    """The active field-and-keyword subscriptions of `side`, with their users in service."""
    statement = (
        select(Subscription, User)
        .join(User, User.id == Subscription.user_id)
        .where(
            Subscription.side == side,
            Subscription.kind == SubscriptionKind.search,
            Subscription.status == SubscriptionStatus.active,
            User.must_change_password.is_(False),
            *_IN_SERVICE,
        )
        .order_by(Subscription.id)
    )
    return [(a, b) for a, b in session.execute(statement)]


def active_recommended(session: Session) -> Sequence[tuple[Subscription, User]]:
    statement = (
        select(Subscription, User)
        .join(User, User.id == Subscription.user_id)
        .where(
            Subscription.kind == SubscriptionKind.recommended,
            Subscription.status == SubscriptionStatus.active,
            User.org_id.is_not(None),
            *_IN_SERVICE,
        )
        .order_by(Subscription.id)
        .with_for_update(of=Subscription, skip_locked=True)
    )
    return [(a, b) for a, b in session.execute(statement)]


def needs_published_since(session: Session, since: datetime | None) -> bool:
    statement = select(Need.id).where(Need.status == NeedStatus.published)
    if since is not None:
        statement = statement.where(Need.published_at >= since)
    return session.scalar(statement.limit(1)) is not None


def published_capabilities(session: Session, org_id: int, limit: int) -> Sequence[Capability]:
    statement = (
        select(Capability)
        .where(Capability.org_id == org_id, Capability.status == CapabilityStatus.published)
        .options(selectinload(Capability.field), selectinload(Capability.org))
        .order_by(Capability.published_at.desc(), Capability.id.desc())
        .limit(limit)
    )
    return session.scalars(statement).all()


def needs_by_id(session: Session, ids: Iterable[int]) -> Sequence[Need]:
    statement = select(Need).where(Need.id.in_(sorted(set(ids))))
    return session.scalars(statement).all()


def hit_keys(
    session: Session, kind: str, posting_ids: Iterable[int], sub_ids: Iterable[int]
) -> set[tuple[int, int]]:
    """(subscription, posting) pairs already recorded among these."""
    subs, postings = sorted(set(sub_ids)), sorted(set(posting_ids))
    if not subs or not postings:
        return set()
    statement = select(SubscriptionHit.subscription_id, SubscriptionHit.posting_id).where(
        SubscriptionHit.posting_kind == kind,
        SubscriptionHit.posting_id.in_(postings),
        SubscriptionHit.subscription_id.in_(subs),
    )
    return {(s, p) for s, p in session.execute(statement)}


def notified_since(session: Session, user_ids: Iterable[int], since: datetime) -> dict[int, int]:
    """user → subscription notifications since `since` (the flood cap counts them)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    statement = (
        select(SubscriptionHit.user_id, func.count(SubscriptionHit.id))
        .where(
            SubscriptionHit.user_id.in_(wanted),
            SubscriptionHit.notified.is_(True),
            SubscriptionHit.created_at >= since,
        )
        .group_by(SubscriptionHit.user_id)
    )
    return {user_id: count for user_id, count in session.execute(statement)}


def add_hits(session: Session, hits: list[SubscriptionHit]) -> None:
    session.add_all(hits)
    session.flush()


# ---- digests ------------------------------------------------------------------------------


def pending_users(session: Session, frequency: str, before: datetime, limit: int) -> Sequence[User]:
    """Users in service with an e-mail address and undigested hits (before `before`) of their
    active subscriptions of `frequency`."""
    waiting = (
        select(SubscriptionHit.user_id)
        .join(Subscription, Subscription.id == SubscriptionHit.subscription_id)
        .where(
            SubscriptionHit.digest_id.is_(None),
            SubscriptionHit.created_at < before,
            Subscription.status == SubscriptionStatus.active,
            Subscription.frequency == frequency,
        )
    )
    statement = (
        select(User)
        .where(User.id.in_(waiting), User.email != "", *_IN_SERVICE)
        .order_by(User.id)
        .limit(limit)
    )
    return session.scalars(statement).all()


def pending_hits(
    session: Session, user_id: int, frequency: str, before: datetime
) -> Sequence[tuple[SubscriptionHit, Subscription]]:
    statement = (
        select(SubscriptionHit, Subscription)
        .join(Subscription, Subscription.id == SubscriptionHit.subscription_id)
        .where(
            SubscriptionHit.user_id == user_id,
            SubscriptionHit.digest_id.is_(None),
            SubscriptionHit.created_at < before,
            Subscription.status == SubscriptionStatus.active,
            Subscription.frequency == frequency,
        )
        .order_by(Subscription.id, SubscriptionHit.id)
    )
    return [(a, b) for a, b in session.execute(statement)]


def still_published(session: Session, kind: str, ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    if kind == "need":
        statement = select(Need.id).where(Need.id.in_(wanted), Need.status == NeedStatus.published)
    else:
        statement = select(Capability.id).where(
            Capability.id.in_(wanted), Capability.status == CapabilityStatus.published
        )
    return set(session.scalars(statement))


def claim_digest(
    session: Session, user_id: int, frequency: str, period: str, items: int
) -> SubscriptionDigest | None:
    """Insert the user's digest of `period`, or None when one exists (a re-run, or another
    worker got there first: on PostgreSQL this waits for that worker's commit)."""
    digest = SubscriptionDigest(user_id=user_id, frequency=frequency, period=period, items=items)
    try:
        with session.begin_nested():
            session.add(digest)
            session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        return None
    return digest


def assign_hits(session: Session, hit_ids: list[int], digest_id: int) -> None:
    session.execute(
        update(SubscriptionHit)
        .where(SubscriptionHit.id.in_(hit_ids), SubscriptionHit.digest_id.is_(None))
        .values(digest_id=digest_id)
        .execution_options(synchronize_session=False)
    )
