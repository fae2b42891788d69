"""Aggregate queries behind the statistics; each takes the need condition that scopes it."""

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, case, func, select, type_coerce
from sqlalchemy.orm import Session

from service.models import Application, Capability, Field, Match, Need, User


def needs_by_field(
    session: Session, scope: ColumnElement[bool]
) -> list[tuple[str, str, int, Decimal]]:
    """(code, name, count, bounty) per field, in taxonomy order; fields without needs left out."""
    statement = (
        select(Field.code, Field.name, func.count(Need.id), func.sum(Need.bounty))
        .join(Need, Need.field_code == Field.code)
        .where(scope)
        .group_by(Field.code, Field.name, Field.sort_order)
        .order_by(Field.sort_order, Field.code)
    )
    return [
        (code, name, int(n), Decimal(total or 0))
        for code, name, n, total in session.execute(statement)
    ]


def needs_by_status(session: Session, scope: ColumnElement[bool]) -> dict[str, tuple[int, Decimal]]:
    statement = (
        select(Need.status, func.count(Need.id), func.sum(Need.bounty))
        .where(scope)
        .group_by(Need.status)
    )
    return {
        status: (int(n), Decimal(total or 0)) for status, n, total in session.execute(statement)
    }


def awards(session: Session, scope: ColumnElement[bool]) -> tuple[int, Decimal]:
    """Awarded applications (on needs in scope) and the bounty committed to them."""
    return _count_and_sum(session, scope, Application, Application.committed_amount, "awarded")


def deals(session: Session, scope: ColumnElement[bool]) -> tuple[int, Decimal]:
    """Signed matches (on needs in scope) and their contract value."""
    return _count_and_sum(session, scope, Match, Match.contract_value, "deal")


def _count_and_sum(
    session: Session, scope: ColumnElement[bool], model: Any, amount: Any, status: str
) -> tuple[int, Decimal]:
    """How many rows of `model` (on needs in scope) are in `status`, and their `amount`."""
    statement = (
        select(func.count(model.id), func.sum(amount))
        .join(Need, Need.id == model.need_id)
        .where(scope, model.status == status)
    )
    n, total = session.execute(statement).one()
    return int(n), Decimal(total or 0)


def applications_by_status(session: Session) -> dict[str, int]:
    statement = select(Application.status, func.count()).group_by(Application.status)
    return {status: int(n) for status, n in session.execute(statement)}


def capabilities_by_status(session: Session) -> dict[str, int]:
    statement = select(Capability.status, func.count()).group_by(Capability.status)
    return {status: int(n) for status, n in session.execute(statement)}


def matches_by_status(session: Session) -> dict[str, int]:
    statement = select(Match.status, func.count()).group_by(Match.status)
    return {status: int(n) for status, n in session.execute(statement)}


def broker_leaderboard(session: Session, limit: int) -> list[tuple[Any, ...]]:
    """(user id, name, matches attributed, deals, contract value), best first."""
    is_deal = Match.status == "deal"
    deals_n = func.sum(case((is_deal, 1), else_=0))
    value = type_coerce(
        func.coalesce(func.sum(case((is_deal, Match.contract_value), else_=None)), 0),
        Numeric(16, 2),
    )
    statement = (
        select(User.id, User.display_name, func.count(Match.id), deals_n, value)
        .join(Match, Match.broker_id == User.id)
        .group_by(User.id, User.display_name)
        .order_by(value.desc(), deals_n.desc(), func.count(Match.id).desc(), User.id)
        .limit(limit)
    )
    return [
        (user_id, name, int(n), int(d or 0), Decimal(v or 0))
        for user_id, name, n, d, v in session.execute(statement)
    ]
