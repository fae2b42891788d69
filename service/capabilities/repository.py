from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, selectinload

from service.models import Capability
from service.postings.repository import substring_filter

SORTS: dict[str, tuple[Any, ...]] = {
    "-published_at": (Capability.published_at.desc().nulls_last(), Capability.id.desc()),
    "-created_at": (Capability.created_at.desc(), Capability.id.desc()),
    "-updated_at": (Capability.updated_at.desc(), Capability.id.desc()),
    "-trl": (Capability.trl.desc().nulls_last(), Capability.id.desc()),
    "trl": (Capability.trl.asc().nulls_last(), Capability.id.asc()),
}


def _with_relations(statement: Select[Any]) -> Select[Any]:
    return statement.options(selectinload(Capability.org), selectinload(Capability.field))


def get(session: Session, cap_id: int, readable: ColumnElement[bool]) -> Capability | None:
    return session.scalar(
        _with_relations(select(Capability).where(Capability.id == cap_id, readable))
    )


def get_for_update(session: Session, cap_id: int) -> Capability | None:
    statement = select(Capability).where(Capability.id == cap_id).with_for_update()
    return session.scalar(_with_relations(statement).execution_options(populate_existing=True))


def list_statement(
    readable: ColumnElement[bool],
    *,
    sort: str,
    field: str | None = None,
    status: str | None = None,
    maturity: str | None = None,
    org_id: int | None = None,
    q: str | None = None,
) -> Select[Any]:
    statement = select(Capability).where(readable)
    if field:
        statement = statement.where(Capability.field_code == field)
    if status:
        statement = statement.where(Capability.status == status)
    if maturity:
        statement = statement.where(Capability.maturity == maturity)
    if org_id is not None:
        statement = statement.where(Capability.org_id == org_id)
    if q:
        statement = statement.where(
            substring_filter(q, Capability.title, Capability.description, Capability.team)
        )
    return _with_relations(statement.order_by(*SORTS[sort]))
