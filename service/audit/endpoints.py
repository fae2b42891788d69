from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from service.auth.deps import AdminUser
from service.kit.db import SessionDep
from service.kit.errors import Forbidden, NotAuthenticated, responses
from service.kit.pagination import Page, PageDep, paginate
from service.models import AuditEvent, User
from service.postings.schemas import AuditEventRead

router = APIRouter(prefix="/audit", tags=["审计 audit"])


class AuditRow(AuditEventRead):
    object_type: str
    object_id: int


@router.get(
    "",
    response_model=Page[AuditRow],
    responses=responses(NotAuthenticated, Forbidden),
    summary="全部状态变更记录（管理员）",
)
def list_audit(
    session: SessionDep,
    _: AdminUser,
    page: PageDep,
    object_type: Literal["need", "capability"] | None = None,
    object_id: Annotated[int | None, Query(ge=1)] = None,
    actor_id: Annotated[int | None, Query(ge=1)] = None,
) -> Page[AuditRow]:
    statement = select(AuditEvent).order_by(AuditEvent.id.desc())
    if object_type:
        statement = statement.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        statement = statement.where(AuditEvent.object_id == object_id)
    if actor_id is not None:
        statement = statement.where(AuditEvent.actor_id == actor_id)
    rows, total = paginate(session, statement, page)
    actors = {r.actor_id for r in rows if r.actor_id}
    names = {
        user_id: name
        for user_id, name in session.execute(
            select(User.id, User.display_name).where(User.id.in_(actors))
        )
    }
    items = [
        AuditRow(
            id=r.id,
            object_type=r.object_type,
            object_id=r.object_id,
            action=r.action,
            from_state=r.from_state,
            to_state=r.to_state,
            actor_id=r.actor_id,
            actor_name=names.get(r.actor_id) if r.actor_id else None,
            reason=r.reason,
            created_at=r.created_at,
        )
        for r in rows
    ]
    return Page(items=items, total=total, page=page.page, page_size=page.page_size)
