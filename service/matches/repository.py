"""Every query about matches: lookups, the review queue, board counts and broker records."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, distinct, func, or_, select
from sqlalchemy.orm import Session, aliased, joinedload

from matching.model import BAND_THRESHOLDS
from service.kit.pagination import PageParams, paginate
from service.kit.repository import Reader
from service.matches.schemas import MatchFilter, MatchSort
from service.models import AuditEvent, Capability, Match, Need, User

SORTS: dict[str, tuple[Any, ...]] = {
    "-score": (Match.score.desc().nulls_last(), Match.id.desc()),
    "score": (Match.score.asc().nulls_last(), Match.id.asc()),
    "-created_at": (Match.created_at.desc(), Match.id.desc()),
    "created_at": (Match.created_at.asc(), Match.id.asc()),
    "-updated_at": (Match.updated_at.desc(), Match.id.desc()),
}


# Both postings with their organisation and field, in the same query (all many-to-one,
# never null: inner joins).
_NEED = joinedload(Match.need, innerjoin=True)
_CAP = joinedload(Match.capability, innerjoin=True)
RELATIONS = (
    _NEED.joinedload(Need.org, innerjoin=True),
    _NEED.joinedload(Need.field, innerjoin=True),
    _CAP.joinedload(Capability.org, innerjoin=True),
    _CAP.joinedload(Capability.field, innerjoin=True),
)
_BROKER = joinedload(Match.broker)  # named in the answer: read with the change
_REQUESTER = joinedload(Match.requester)


def _with_relations(statement: Select[Any]) -> Select[Any]:
    return statement.options(*RELATIONS)


# The match with both postings if `readable`; with `for_update`, the match row (not the
# postings) locked for a state change, with the broker and requester its answer names.
get = Reader(Match, RELATIONS, locked_options=(_BROKER, _REQUESTER))


def by_pair(session: Session, need_id: int, capability_id: int) -> Match | None:
    return session.scalar(
        select(Match).where(Match.need_id == need_id, Match.capability_id == capability_id)
    )


def _conditions(filters: MatchFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        conditions.append(Match.status == filters.status)
    if filters.field:
        in_field = select(Need.id).where(Need.id == Match.need_id, Need.field_code == filters.field)
        conditions.append(in_field.exists())
    if filters.min_score is not None:
        conditions.append(Match.score >= filters.min_score)
    if filters.need_id is not None:
        conditions.append(Match.need_id == filters.need_id)
    if filters.capability_id is not None:
        conditions.append(Match.capability_id == filters.capability_id)
    if filters.broker_id is not None:
        conditions.append(Match.broker_id == filters.broker_id)
    if filters.origin:
        conditions.append(Match.origin == filters.origin)
    if filters.band:
        conditions.append(_in_band(filters.band))
    if filters.requested is not None:
        asked = Match.requested_by_id.is_not(None)
        conditions.append(asked if filters.requested else Match.requested_by_id.is_(None))
    if filters.q:
        need_title = select(Need.id).where(
            Need.id == Match.need_id, Need.title.contains(filters.q, autoescape=True)
        )
        cap_title = select(Capability.id).where(
            Capability.id == Match.capability_id,
            Capability.title.contains(filters.q, autoescape=True),
        )
        conditions.append(or_(need_title.exists(), cap_title.exists()))
    return conditions


def _in_band(band: str) -> ColumnElement[bool]:
    """匹配度 band by the model's thresholds; manual matches (no score) are in none."""
    low_edge = BAND_THRESHOLDS[band]  # type: ignore[index]
    higher = [t for t in BAND_THRESHOLDS.values() if t > low_edge]
    if not higher:
        return Match.score >= low_edge
    return and_(Match.score >= low_edge, Match.score < min(higher))


def need_groups(
    session: Session, readable: ColumnElement[bool], filters: MatchFilter, page: PageParams
) -> tuple[list[tuple[int, str, int, float | None]], int]:
    """Matches per need (need id, title, count, best score), best-scoring needs first, one
    page of them, and how many needs in all."""
    count = func.count(Match.id)
    best = func.max(Match.score)
    need = aliased(Need)  # the filters' subqueries correlate on Need itself
    statement = (
        select(Match.need_id, need.title, count, best)
        .join(need, need.id == Match.need_id)
        .where(readable, *_conditions(filters))
        .group_by(Match.need_id, need.title)
    )
    total = session.scalar(select(func.count()).select_from(statement.subquery()))
    ordered = statement.order_by(best.desc().nulls_last(), Match.need_id)
    rows = session.execute(ordered.offset(page.offset).limit(page.page_size))
    return [(int(i), str(t), int(n), b) for i, t, n, b in rows], int(total or 0)


def list_page(
    session: Session,
    readable: ColumnElement[bool],
    filters: MatchFilter,
    sort: MatchSort,
    page: PageParams,
) -> tuple[list[Match], int]:
    statement = select(Match).where(readable, *_conditions(filters))
    return paginate(session, _with_relations(statement.order_by(*SORTS[sort])), page)


def count_by_status(
    session: Session, readable: ColumnElement[bool], filters: MatchFilter
) -> dict[str, int]:
    statement = (
        select(Match.status, func.count())
        .where(readable, *_conditions(filters))
        .group_by(Match.status)
    )
    return {status: int(n) for status, n in session.execute(statement)}


def user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def reached(session: Session, match_ids: Select[Any] | None = None) -> dict[str, int]:
    """How many matches ever entered each state (from the audit trail, so a declined match
    still counts as having been recommended and connected)."""
    statement = (
        select(AuditEvent.to_state, func.count(distinct(AuditEvent.object_id)))
        .where(AuditEvent.object_type == "match")
        .group_by(AuditEvent.to_state)
    )
    if match_ids is not None:
        statement = statement.where(AuditEvent.object_id.in_(match_ids))
    return {state: int(n) for state, n in session.execute(statement)}


def attributed_ids(broker_id: int) -> Select[Any]:
    return select(Match.id).where(Match.broker_id == broker_id)


def actions_by(session: Session, actor_id: int, action: str) -> int:
    """Distinct matches on which `actor_id` took `action`."""
    statement = select(func.count(distinct(AuditEvent.object_id))).where(
        AuditEvent.object_type == "match",
        AuditEvent.actor_id == actor_id,
        AuditEvent.action == action,
    )
    return int(session.scalar(statement) or 0)


def deals_of(session: Session, broker_id: int) -> tuple[int, Decimal]:
    row = session.execute(
        select(func.count(), func.sum(Match.contract_value)).where(
            Match.broker_id == broker_id, Match.status == "deal"
        )
    ).one()
    return int(row[0]), Decimal(row[1] or 0)


def count_attributed(session: Session, broker_id: int) -> int:
    statement = select(func.count()).select_from(Match).where(Match.broker_id == broker_id)
    return int(session.scalar(statement) or 0)


def by_pair_for_update(session: Session, need_id: int, capability_id: int) -> Match | None:
    """The pair's match, locked (a side's 请经纪人对接 joins it to the queue)."""
    statement = select(Match).where(Match.need_id == need_id, Match.capability_id == capability_id)
    return session.scalar(statement.with_for_update().execution_options(populate_existing=True))


def pairs(
    session: Session, need_ids: list[int], capability_ids: list[int]
) -> dict[tuple[int, int], tuple[str, bool]]:
    """(need, capability) → (status, requested) of the matches among those postings, in one
    query (the actions of a list of recommendations)."""
    if not need_ids or not capability_ids:
        return {}
    statement = select(
        Match.need_id, Match.capability_id, Match.status, Match.requested_by_id
    ).where(Match.need_id.in_(need_ids), Match.capability_id.in_(capability_ids))
    return {(n, c): (s, r is not None) for n, c, s, r in session.execute(statement)}


def deals_for_need(
    session: Session, need_id: int, readable: ColumnElement[bool]
) -> list[tuple[Match, datetime | None]]:
    """The need's signed deals the caller may see, with the date of signing (the audit row),
    oldest first."""
    signed = (
        select(func.max(AuditEvent.created_at))
        .where(
            AuditEvent.object_type == "match",
            AuditEvent.object_id == Match.id,
            AuditEvent.action == "deal",
        )
        .scalar_subquery()
    )
    statement = (
        select(Match, signed)
        .where(Match.need_id == need_id, Match.status == "deal", readable)
        .options(_CAP.joinedload(Capability.org, innerjoin=True))
        .order_by(Match.id)
    )
    return [(m, at) for m, at in session.execute(statement)]
