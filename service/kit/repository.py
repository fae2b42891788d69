"""The one read every repository shares: a row by id, with what the caller needs loaded."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

T = TypeVar("T")


def get_by_id(
    session: Session,
    model: type[T],
    object_id: int,
    *,
    where: ColumnElement[bool] | None = None,
    options: Sequence[ORMOption] = (),
    for_update: bool = False,
    lock_also: Sequence[type[Any]] = (),
) -> T | None:
    """`model` row `object_id` if it also meets `where` (the caller's visibility), loaded with
    `options`. `for_update` locks the row (PostgreSQL; SQLite serialises writers anyway) and
    refreshes what the session held, so a state change reads its row once, locked, and works
    on it without a reload. The lock covers `model`'s row (`FOR UPDATE OF`) and the joined
    rows of `lock_also`, in the same statement."""
    statement: Any = select(model).where(model.id == object_id)  # type: ignore[attr-defined]
    if where is not None:
        statement = statement.where(where)
    statement = statement.options(*options)
    if for_update:
        locked = [model, *lock_also]
        statement = statement.with_for_update(of=locked).execution_options(populate_existing=True)
    return session.scalar(statement)
