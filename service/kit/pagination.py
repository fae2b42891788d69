"""Page parameters and the page envelope shared by every list endpoint."""

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from service.config import get_settings

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
    total: int = Field(description="条数；total_exact 为 false 时为下限（实际多于此数）")
    total_exact: bool = Field(
        default=True, description="total 是否精确：超过计数上限（默认 10000 条）时只计到上限"
    )
    page: int
    page_size: int


def page_of(items: list[T], total: int, params: PageParams) -> Page[T]:
    """A page; a `total` past the count cap (`list_count_cap`; `paginate` counts one more at
    most) is shown as the cap, not exact."""
    cap = get_settings().list_count_cap
    return Page(
        items=items,
        total=min(total, cap),
        total_exact=total <= cap,
        page=params.page,
        page_size=params.page_size,
    )


def paginate(session: Session, statement: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """Run one page of `statement` and count the result up to the count cap + 1 rows (for
    repositories; `page_of` reads a count past the cap as "more than the cap")."""
    counted = statement.order_by(None).limit(get_settings().list_count_cap + 1).subquery()
    total = session.scalar(select(func.count()).select_from(counted))
    rows = session.scalars(statement.offset(params.offset).limit(params.page_size)).unique().all()
    return list(rows), int(total or 0)
