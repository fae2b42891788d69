"""Subscription rules: who may follow what, the lifecycle, and the matches of a new posting.

- researchers follow needs, enterprises capabilities, brokers either; experts and admins
  have no subscriptions (their work comes assigned);
- a posting matches a field-and-keyword subscription by `keywords.matches`, never one of
  the subscriber's own organisation, and a brokers-only need only a broker's;
- each subscription hears of a posting at most once (a unique hit row), each user at most
  once per posting whatever the number of its subscriptions that match, and at most
  MAX_NOTICES_PER_DAY times a day in-app: the rest waits in the e-mail digest only.
"""

from collections.abc import Sequence
from datetime import datetime, time

from sqlalchemy.orm import Session

from service.kit.actions import TransitionIn
from service.kit.clock import CHINA, today
from service.kit.errors import BadRequest, Conflict, Forbidden, found
from service.kit.pagination import Page, PageParams, page_of
from service.kit.versioning import check_version, flush_versioned
from service.models import Capability, Need, Subscription, SubscriptionHit, User
from service.models.enums import Role, SubscriptionKind, SubscriptionSide, Visibility
from service.subscriptions import keywords, notices, presenters, repository
from service.subscriptions.lifecycle import SUBSCRIPTION_MACHINE
from service.subscriptions.schemas import SubscriptionCreate, SubscriptionRead, SubscriptionUpdate

MAX_SUBSCRIPTIONS = 20  # live ones per user
MAX_NOTICES_PER_DAY = 10  # in-app subscription notices per user and China day
SIDES: dict[str, frozenset[str]] = {
    Role.researcher: frozenset({SubscriptionSide.need}),
    Role.enterprise: frozenset({SubscriptionSide.capability}),
    Role.broker: frozenset({SubscriptionSide.need, SubscriptionSide.capability}),
}
DEFAULT_SIDE = {
    Role.researcher: SubscriptionSide.need,
    Role.enterprise: SubscriptionSide.capability,
    Role.broker: SubscriptionSide.need,
}


def require_subscriber(user: User) -> None:
    if user.role not in SIDES:
        raise Forbidden(
            "只有科研人员、企业用户和技术经纪人可以订阅",
            "Subscriptions are for researchers, enterprises and brokers",
            code="not_allowed",
        )


def list_subscriptions(session: Session, user: User, page: PageParams) -> Page[SubscriptionRead]:
    require_subscriber(user)
    rows, total = repository.list_page(session, user.id, page)
    return page_of(present(session, user, rows), total, page)


def present(session: Session, user: User, rows: Sequence[Subscription]) -> list[SubscriptionRead]:
    names = repository.field_names(session, [c for s in rows for c in s.field_codes])
    hits = repository.hit_counts(session, [s.id for s in rows])
    return [presenters.subscription(s, user, names, hits.get(s.id, 0)) for s in rows]


def get(session: Session, user: User, sub_id: int) -> SubscriptionRead:
    return present(session, user, [_own(session, user, sub_id)])[0]


def create(session: Session, user: User, data: SubscriptionCreate) -> SubscriptionRead:
    require_subscriber(user)
    if data.kind == SubscriptionKind.recommended and user.role != Role.researcher:
        raise BadRequest(
            "「为我推荐」只对科研人员开放（按本单位成果推荐需求）",
            "Only researchers can follow recommendations",
            code="side_not_allowed",
        )
    side = data.side or DEFAULT_SIDE[Role(user.role)]
    if side not in SIDES[user.role]:
        raise BadRequest(
            f"{Role(user.role).label}不能订阅{SubscriptionSide(side).label}",
            "This role cannot follow that side",
            code="side_not_allowed",
        )
    if repository.count_live(session, user.id) >= MAX_SUBSCRIPTIONS:
        raise Conflict(
            f"最多保留 {MAX_SUBSCRIPTIONS} 个订阅，请先删除不用的订阅",
            "Too many subscriptions",
            code="too_many_subscriptions",
        )
    fields = list(dict.fromkeys(data.fields))
    names = repository.field_names(session, fields)
    unknown = [c for c in fields if c not in names]
    if unknown:
        raise BadRequest(f"未知的领域：{'、'.join(unknown)}", "Unknown field", code="unknown_field")
    words = list(dict.fromkeys(data.keywords))
    sub = Subscription(
        user_id=user.id,
        kind=data.kind,
        side=side,
        name=data.name or default_name(data.kind, [names[c] for c in fields], words),
        field_codes=fields,
        keywords=words,
        frequency=data.frequency,
    )
    session.add(sub)
    SUBSCRIPTION_MACHINE.start(session, sub, user.id)
    return present(session, user, [sub])[0]


def default_name(kind: str, field_names: list[str], words: list[str]) -> str:
    """「新能源汽车 + 热管理」: the fields (any of them) then the keywords (all of them)."""
    if kind == SubscriptionKind.recommended:
        return "为我推荐"
    parts = (["、".join(field_names)] if field_names else []) + words
    return " + ".join(parts)[:60]


def update(session: Session, user: User, sub_id: int, data: SubscriptionUpdate) -> SubscriptionRead:
    sub = _own(session, user, sub_id, for_update=True)
    check_version(sub, data.version)
    if data.name is not None:
        sub.name = data.name
    if data.frequency is not None:
        sub.frequency = data.frequency
    flush_versioned(session)
    return present(session, user, [sub])[0]


def transition(
    session: Session, user: User, sub_id: int, action: str, data: TransitionIn
) -> SubscriptionRead:
    sub = _own(session, user, sub_id, for_update=True)
    SUBSCRIPTION_MACHINE.require(action, user, sub)
    check_version(sub, data.version)
    SUBSCRIPTION_MACHINE.apply(session, sub, action, user.id)
    flush_versioned(session)
    return present(session, user, [sub])[0]


def delete(session: Session, user: User, sub_id: int) -> None:
    sub = _own(session, user, sub_id, for_update=True)
    SUBSCRIPTION_MACHINE.apply(session, sub, "delete", user.id)
    flush_versioned(session)


def _own(session: Session, user: User, sub_id: int, *, for_update: bool = False) -> Subscription:
    """The caller's live subscription; anyone else's is a 404, not a hint."""
    require_subscriber(user)
    return found(
        repository.get(session, sub_id, user.id, for_update=for_update),
        ("订阅不存在", "Subscription not found"),
    )


# ---- matches ------------------------------------------------------------------------------


def _may_follow(user: User, side: str, posting: Need | Capability) -> bool:
    if side not in SIDES.get(user.role, ()) or user.org_id == posting.org_id:
        return False
    if isinstance(posting, Need) and posting.visibility == Visibility.brokers_only:
        return user.role == Role.broker
    return True


def posting_published(session: Session, posting: Need | Capability) -> int:
    """A need or capability was just published: record and announce its subscription
    matches; returns how many subscriptions matched."""
    kind = "need" if isinstance(posting, Need) else "capability"
    text = keywords.posting_text(posting)
    found = [
        (sub, user)
        for sub, user in repository.active_search(session, kind)
        if _may_follow(user, kind, posting)
        and keywords.matches(text, posting.field_code, sub.field_codes, sub.keywords)
    ]
    return record_hits(session, kind, [(sub, user.id, posting.id) for sub, user in found], posting)


def record_hits(
    session: Session,
    kind: str,
    found: list[tuple[Subscription, int, int]],
    posting: Need | Capability | None = None,
    titles: dict[int, str] | None = None,
) -> int:
    """Store new (subscription, posting) hits and notify each user once per posting, within
    the daily cap; returns how many hits were new."""
    seen = repository.hit_keys(session, kind, [p for _, _, p in found], [s.id for s, _, _ in found])
    fresh = [(s, u, p) for s, u, p in found if (s.id, p) not in seen]
    if not fresh:
        return 0
    midnight = datetime.combine(today(), time(), CHINA)
    sent = repository.notified_since(session, {u for _, u, _ in fresh}, midnight)
    told: set[tuple[int, int]] = set()  # (user, posting) already announced in this run
    hits, notices_due = [], []
    for sub, user_id, posting_id in fresh:
        title = posting.title if posting is not None else (titles or {}).get(posting_id, "")
        first = (user_id, posting_id) not in told
        notify = first and sent.get(user_id, 0) < MAX_NOTICES_PER_DAY
        if first:
            told.add((user_id, posting_id))
        if notify:
            sent[user_id] = sent.get(user_id, 0) + 1
            notices_due.append((user_id, sub, posting_id, title))
        hits.append(
            SubscriptionHit(
                subscription_id=sub.id,
                user_id=user_id,
                posting_kind=kind,
                posting_id=posting_id,
                title=title[:200],
                notified=notify,
            )
        )
    repository.add_hits(session, hits)
    for user_id, sub, posting_id, title in notices_due:
        notices.matched(session, user_id, sub, kind, posting_id, title)
    return len(hits)
