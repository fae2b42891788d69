from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from service.models import User


def by_username(session: Session, username: str) -> User | None:
    return session.scalar(
        select(User).where(User.username == username).options(selectinload(User.org))
    )


def by_id(session: Session, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == user_id).options(selectinload(User.org)))


def list_statement(role: str | None) -> Select[Any]:
    statement = select(User).options(selectinload(User.org)).order_by(User.id)
    if role:
        statement = statement.where(User.role == role)
    return statement
