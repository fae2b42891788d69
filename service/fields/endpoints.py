from typing import Any

from sqlalchemy.orm import Session

from service.auth.deps import AdminUser
from service.fields import service
from service.fields.schemas import FieldCreate, FieldRead, FieldUpdate
from service.kit.db import SessionDep
from service.kit.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from service.kit.inputs import Line
from service.kit.routes import create_route, route, routers

router, public = routers("领域 fields", "/fields")


@public.get("", response_model=list[FieldRead], summary="所属领域列表（公开）")
def list_fields(session: SessionDep, include_inactive: bool = False) -> list[FieldRead]:
    return [FieldRead.model_validate(f) for f in service.list_fields(session, include_inactive)]


def _read(session: Session, admin: Any, field: Any) -> FieldRead:
    return FieldRead.model_validate(field)


create_route(
    router, "", FieldRead, lambda session, admin, data: service.create(session, data), FieldCreate,
    name="create_field", summary="新增领域（管理员）", user=AdminUser, present=_read,
    errors=responses(NotAuthenticated, Forbidden, Conflict),
)  # fmt: skip
route(
    router, "PATCH", "/{code}",
    lambda session, admin, code, data: service.update(session, code, data), FieldRead,
    name="update_field", summary="修改或停用领域（管理员）", user=AdminUser,
    body=FieldUpdate, types={"code": Line}, present=_read,
    errors=responses(NotAuthenticated, Forbidden, NotFound, Conflict),
)  # fmt: skip
