from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from service.kit.identity import identity_key
from service.models import User


def by_username(session: Session, username: str) -> User | None:
    """The account named `username` up to case, width and invisible characters."""
    key = identity_key(username)
    return session.scalar(
        select(User).where(User.username_key == key).options(selectinload(User.org))
    )


def by_id(session: Session, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == user_id).options(joinedload(User.org)))


def list_statement(role: str | None, status: str | None = None) -> Select[Any]:
    statement = select(User).options(selectinload(User.org)).order_by(User.id)
    if role:
        statement = statement.where(User.role == role)
    if status:
        statement = statement.where(User.status == status)
    return statement
