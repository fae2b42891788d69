from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from service.kit.identity import identity_key
from service.kit.pagination import PageParams, paginate
from service.kit.repository import equal
from service.models import User
from service.users.schemas import UserFilter


def by_username(session: Session, username: str) -> User | None:
    """The account named `username` up to case, width and invisible characters."""
    key = identity_key(username)
    return session.scalar(
        select(User).where(User.username_key == key).options(selectinload(User.org))
    )


def by_id(session: Session, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == user_id).options(joinedload(User.org)))


def caller(session: Session, user_id: int) -> User | None:
    """The account behind a request's token, without its organisation (`user.org` raises):
    every permission reads the caller's id, role and `org_id` only, and joining the
    organisation cost each authenticated request ~0.5 ms of CPU (BENCHMARKS §30)."""
    return session.scalar(select(User).where(User.id == user_id))


def display_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names by id (None ids skipped), in one query."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def list_page(session: Session, filters: UserFilter, page: PageParams) -> tuple[list[User], int]:
    statement = select(User).options(selectinload(User.org)).order_by(User.id)
    statement = statement.where(*equal(User, filters, "role", "status"))
    return paginate(session, statement, page)
