"""Page parameters and the page envelope shared by every list endpoint."""

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


class PageParams(BaseModel):
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def _page_params(
    page: Annotated[int, Query(ge=1, le=100000, description="页码，从 1 开始")] = 1,
    page_size: Annotated[int, Query(ge=1, le=100, description="每页条数（≤100）")] = 20,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


PageDep = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


def page_of(items: list[T], total: int, params: PageParams) -> Page[T]:
    return Page(items=items, total=total, page=params.page, page_size=params.page_size)


def paginate(session: Session, statement: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """Run one page of `statement` and count the whole result (for repositories)."""
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.offset(params.offset).limit(params.page_size)).unique().all()
    return list(rows), int(total or 0)
