from fastapi import APIRouter

from service.auth.deps import AdminUser
from service.fields import service
from service.fields.schemas import FieldCreate, FieldRead, FieldUpdate
from service.kit.db import SessionDep
from service.kit.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from service.kit.inputs import Line

router = APIRouter(prefix="/fields", tags=["领域 fields"])
public = APIRouter(prefix="/fields", tags=["领域 fields"])


@public.get("", response_model=list[FieldRead], summary="所属领域列表（公开）")
def list_fields(session: SessionDep, include_inactive: bool = False) -> list[FieldRead]:
    return [FieldRead.model_validate(f) for f in service.list_fields(session, include_inactive)]


@router.post(
    "",
    response_model=FieldRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, Conflict),
    summary="新增领域（管理员）",
)
def create_field(session: SessionDep, _: AdminUser, data: FieldCreate) -> FieldRead:
    return FieldRead.model_validate(service.create(session, data))


@router.patch(
    "/{code}",
    response_model=FieldRead,
    responses=responses(NotAuthenticated, Forbidden, NotFound, Conflict),
    summary="修改或停用领域（管理员）",
)
def update_field(session: SessionDep, _: AdminUser, code: Line, data: FieldUpdate) -> FieldRead:
    return FieldRead.model_validate(service.update(session, code, data))
