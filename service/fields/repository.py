"""Queries over the 所属领域 taxonomy."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.models import Field


def listed(session: Session, include_inactive: bool = False) -> Sequence[Field]:
    statement = select(Field).order_by(Field.sort_order, Field.code)
    if not include_inactive:
        statement = statement.where(Field.active.is_(True))
    return session.scalars(statement).all()


def by_code(session: Session, code: str) -> Field | None:
    return session.get(Field, code)


def by_name(session: Session, name: str) -> Field | None:
    return session.scalar(select(Field).where(Field.name == name))
