from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from service.capabilities.schemas import CapabilityConditions, CapabilityFilter
from service.kit.db import newest_first
from service.kit.pagination import PageParams, paginate
from service.kit.repository import Reader
from service.models import Capability
from service.postings.repository import substring_filter

SORTS: dict[str, tuple[Any, ...]] = {
    "-published_at": newest_first(Capability.published_at, Capability.id),
    "-created_at": (Capability.created_at.desc(), Capability.id.desc()),
    "-updated_at": (Capability.updated_at.desc(), Capability.id.desc()),
    "-trl": (Capability.trl.desc().nulls_last(), Capability.id.desc()),
    "trl": (Capability.trl.asc().nulls_last(), Capability.id.asc()),
}


def _with_relations(statement: Select[Any]) -> Select[Any]:
    return statement.options(selectinload(Capability.org), selectinload(Capability.field))


# Shown beside a capability (many-to-one, never null): joined into its one read.
RELATIONS = (
    joinedload(Capability.org, innerjoin=True),
    joinedload(Capability.field, innerjoin=True),
)


# The capability if `readable`, locked for a state change with `for_update`.
get = Reader(Capability, RELATIONS)


def conditions(filters: CapabilityConditions) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.field:
        where.append(Capability.field_code == filters.field)
    if filters.maturity:
        where.append(Capability.maturity == filters.maturity)
    if filters.org_id is not None:
        where.append(Capability.org_id == filters.org_id)
    return where


def list_page(
    session: Session, readable: ColumnElement[bool], filters: CapabilityFilter, page: PageParams
) -> tuple[list[Capability], int]:
    """One page of the readable capabilities matching `filters`, and the count of all."""
    statement = select(Capability).where(readable, *conditions(filters))
    if filters.status:
        statement = statement.where(Capability.status == filters.status)
    if filters.q:
        columns = (Capability.title, Capability.description, Capability.team)
        statement = statement.where(substring_filter(filters.q, *columns))
    return paginate(session, _with_relations(statement.order_by(*SORTS[filters.sort])), page)
