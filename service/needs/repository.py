from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from service.kit.db import newest_first
from service.kit.money import wan_to_yuan
from service.kit.pagination import PageParams, paginate
from service.kit.repository import Reader
from service.models import Application, ApplicationMember, AuditEvent, Invitation, Need
from service.models.enums import ApplicationStatus, MemberStatus
from service.needs.schemas import NeedConditions, NeedFilter
from service.postings.repository import substring_filter

SORTS: dict[str, tuple[Any, ...]] = {
    "-published_at": newest_first(Need.published_at, Need.id),
    "-created_at": (Need.created_at.desc(), Need.id.desc()),
    "created_at": (Need.created_at.asc(), Need.id.asc()),
    "-updated_at": (Need.updated_at.desc(), Need.id.desc()),
    "-bounty": (Need.bounty.desc(), Need.id.desc()),
    "bounty": (Need.bounty.asc(), Need.id.asc()),
    "deadline": (Need.deadline.asc(), Need.id.asc()),
    "-deadline": (Need.deadline.desc(), Need.id.desc()),
}


def _with_relations(statement: Select[Any]) -> Select[Any]:
    return statement.options(selectinload(Need.org), selectinload(Need.field))


# What a need's answer shows beside it (many-to-one, never null): joined into its one read.
RELATIONS = (joinedload(Need.org, innerjoin=True), joinedload(Need.field, innerjoin=True))


# The need if `readable` (default: any), locked for a state change with `for_update`.
get = Reader(Need, RELATIONS)


def won_among(session: Session, won: Select[Any], need_ids: list[int]) -> set[int]:
    """Which of `need_ids` are in `won` (an organisation's awarded needs, see auth.py)."""
    if not need_ids:
        return set()
    statement = select(Need.id).where(Need.id.in_(need_ids), Need.id.in_(won))
    return set(session.scalars(statement))


def conditions(filters: NeedConditions) -> list[ColumnElement[bool]]:
    """The SQL of `filters` (the organisation is the caller's business: auth.org_filter)."""
    where: list[ColumnElement[bool]] = []
    if filters.field:
        where.append(Need.field_code == filters.field)
    if filters.call_type:
        where.append(Need.call_type == filters.call_type)
    if filters.bounty_min_wan is not None:
        where.append(Need.bounty >= wan_to_yuan(filters.bounty_min_wan))
    if filters.bounty_max_wan is not None:
        where.append(Need.bounty <= wan_to_yuan(filters.bounty_max_wan))
    if filters.deadline_from is not None:
        where.append(Need.deadline >= filters.deadline_from)
    if filters.deadline_to is not None:
        where.append(Need.deadline <= filters.deadline_to)
    return where


def list_page(
    session: Session,
    readable: ColumnElement[bool],
    filters: NeedFilter,
    page: PageParams,
    *,
    org: ColumnElement[bool] | None = None,
) -> tuple[list[Need], int]:
    """One page of the readable needs matching `filters` (`org`: the organisation condition
    the service derived from `mine` / `org_id`), and the count of all of them."""
    statement = select(Need).where(readable, *conditions(filters))
    if filters.status:
        statement = statement.where(Need.status == filters.status)
    if org is not None:
        statement = statement.where(org)
    if filters.q:
        columns = (Need.title, Need.problem, Need.key_difficulty, Need.expected_goal, Need.industry)
        statement = statement.where(substring_filter(filters.q, *columns))
    return paginate(session, _with_relations(statement.order_by(*SORTS[filters.sort])), page)


def invitation(session: Session, need_id: int, capability_id: int) -> Invitation | None:
    statement = select(Invitation).where(
        Invitation.need_id == need_id, Invitation.capability_id == capability_id
    )
    return session.scalar(statement)


def invited(session: Session, need_id: int, capability_ids: list[int]) -> set[int]:
    """Which of `capability_ids` the need's enterprise has invited (one query)."""
    if not capability_ids:
        return set()
    statement = select(Invitation.capability_id).where(
        Invitation.need_id == need_id, Invitation.capability_id.in_(capability_ids)
    )
    return set(session.scalars(statement))


def _award_time() -> Any:
    """When an application was awarded: its `award` audit row."""
    return (
        select(AuditEvent.created_at)
        .where(
            AuditEvent.object_type == "application",
            AuditEvent.object_id == Application.id,
            AuditEvent.action == "award",
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
        .scalar_subquery()
    )


# What an award result shows (needs.presenters.award_result): the need with its field, the
# winner and the confirmed consortium members.
AWARD_RESULT = (
    joinedload(Application.need, innerjoin=True).joinedload(Need.field, innerjoin=True),
    selectinload(Application.org),
    selectinload(
        Application.members.and_(ApplicationMember.status == MemberStatus.confirmed)
    ).selectinload(ApplicationMember.org),
)


def award_results(
    session: Session, shown: ColumnElement[bool], page: PageParams
) -> tuple[list[tuple[Application, datetime | None]], int]:
    """One page of the awarded applications of the needs `shown` (the newest award first),
    each with its award time, the need, its field, the winner and its confirmed members."""
    award_time = _award_time().label("awarded_at")
    statement = (
        select(Application)
        .join(Need, Need.id == Application.need_id)
        .where(Application.status == ApplicationStatus.awarded, shown)
        .order_by(award_time.desc(), Application.id.desc())
        .options(*AWARD_RESULT)
    )
    apps, total = paginate(session, statement, page)
    times = awarded_at(session, [a.id for a in apps])
    return [(a, times.get(a.id)) for a in apps], total


def awarded_at(session: Session, application_ids: list[int]) -> dict[int, datetime]:
    """application id → when it was awarded (its `award` audit row)."""
    if not application_ids:
        return {}
    statement = (
        select(AuditEvent.object_id, func.max(AuditEvent.created_at))
        .where(
            AuditEvent.object_type == "application",
            AuditEvent.action == "award",
            AuditEvent.object_id.in_(application_ids),
        )
        .group_by(AuditEvent.object_id)
    )
    return {row[0]: row[1] for row in session.execute(statement)}
