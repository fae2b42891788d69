"""What every repository shares: a row by id, with what the caller needs loaded; a typed
filter's equality conditions."""

from collections.abc import Mapping, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, contains_eager
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
    lock_also: Mapping[Any, Sequence[Any]] | None = None,
) -> T | None:
    """`model` row `object_id` if it also meets `where` (the caller's visibility), loaded with
    `options`.

    `for_update` locks the row (PostgreSQL; SQLite serialises writers anyway) and refreshes
    what the session held, so a state change reads its row once, locked, and works on it
    without a reload. Only `model`'s row is locked (`FOR UPDATE OF`), not what `options`
    join; `lock_also` maps relationships whose rows are locked too, in the same statement,
    to the options that load the related rows' own relations. They are inner-joined, so each
    must have a row: a many-to-one, or a collection never empty (an application's members,
    its lead among them). Locked, a joined row is the newest committed one even when the
    statement waited for another transaction's lock (PostgreSQL re-reads the rows it locks,
    but gives the rest of a join as they were when the statement began)."""
    statement: Any = select(model).where(model.id == object_id)  # type: ignore[attr-defined]
    if where is not None:
        statement = statement.where(where)
    locked: list[Any] = [model]
    for relation, related in (lock_also or {}).items():
        statement = statement.join(relation).options(contains_eager(relation).options(*related))
        if relation.property.uselist:  # a collection's rows, in its own order
            statement = statement.order_by(*(relation.property.order_by or ()))
        locked.append(relation.property.mapper.class_)
    statement = statement.options(*options)
    if for_update:
        statement = statement.with_for_update(of=locked).execution_options(populate_existing=True)
    # unique(): a joined collection repeats the row once per item (consumed whole, so the
    # collection is complete)
    return session.scalars(statement).unique().one_or_none()


class Reader(Generic[T]):
    """A domain's `get`: its model's row by id if `readable` (default: any), loaded with what
    its answer shows (`options`); with `for_update`, locked for a change (see `get_by_id`),
    also loading `locked_options` (what only a change's answer names)."""

    def __init__(
        self,
        model: type[T],
        options: Sequence[ORMOption] = (),
        locked_options: Sequence[ORMOption] = (),
    ) -> None:
        self.model = model
        self.options = tuple(options)
        self.locked_options = (*self.options, *locked_options)

    def __call__(
        self,
        session: Session,
        object_id: int,
        readable: ColumnElement[bool] | None = None,
        *,
        for_update: bool = False,
    ) -> T | None:
        options = self.locked_options if for_update else self.options
        return get_by_id(
            session, self.model, object_id, where=readable, options=options, for_update=for_update
        )


def equal(model: Any, filters: BaseModel, *names: str) -> list[ColumnElement[bool]]:
    """`model.<name> == filters.<name>` for each of `names` the filter sets (not None or "")."""
    given = {name: getattr(filters, name) for name in names}
    return [
        getattr(model, name) == value for name, value in given.items() if value not in (None, "")
    ]
