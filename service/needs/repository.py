from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session, selectinload

from service.models import Need
from service.postings.repository import substring_filter

SORTS: dict[str, tuple[Any, ...]] = {
    "-published_at": (Need.published_at.desc().nulls_last(), Need.id.desc()),
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


def get(session: Session, need_id: int, readable: ColumnElement[bool]) -> Need | None:
    statement = select(Need).where(Need.id == need_id, readable)
    return session.scalar(_with_relations(statement))


def won_among(session: Session, won: Select[Any], need_ids: list[int]) -> set[int]:
    """Which of `need_ids` are in `won` (an organisation's awarded needs, see auth.py)."""
    if not need_ids:
        return set()
    statement = select(Need.id).where(Need.id.in_(need_ids), Need.id.in_(won))
    return set(session.scalars(statement))


def get_for_update(session: Session, need_id: int) -> Need | None:
    """Row-locked read (PostgreSQL) for a state change; SQLite serialises writers anyway."""
    statement = select(Need).where(Need.id == need_id).with_for_update()
    return session.scalar(_with_relations(statement).execution_options(populate_existing=True))


def list_statement(
    readable: ColumnElement[bool],
    *,
    sort: str,
    field: str | None = None,
    status: str | None = None,
    call_type: str | None = None,
    org: ColumnElement[bool] | None = None,
    bounty_min: Decimal | None = None,
    bounty_max: Decimal | None = None,
    deadline_from: date | None = None,
    deadline_to: date | None = None,
    q: str | None = None,
) -> Select[Any]:
    statement = select(Need).where(readable)
    if field:
        statement = statement.where(Need.field_code == field)
    if status:
        statement = statement.where(Need.status == status)
    if call_type:
        statement = statement.where(Need.call_type == call_type)
    if org is not None:
        statement = statement.where(org)
    if bounty_min is not None:
        statement = statement.where(Need.bounty >= bounty_min)
    if bounty_max is not None:
        statement = statement.where(Need.bounty <= bounty_max)
    if deadline_from is not None:
        statement = statement.where(Need.deadline >= deadline_from)
    if deadline_to is not None:
        statement = statement.where(Need.deadline <= deadline_to)
    if q:
        columns = (Need.title, Need.problem, Need.key_difficulty, Need.expected_goal, Need.industry)
        statement = statement.where(substring_filter(q, *columns))
    return _with_relations(statement.order_by(*SORTS[sort]))
