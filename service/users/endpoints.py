from fastapi import APIRouter

from service.auth.deps import AdminUser
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    responses,
)
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep, paginate
from service.models.enums import Role
from service.users import repository, service
from service.users.schemas import UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["用户 users"])
_ADMIN_ERRORS = responses(NotAuthenticated, Forbidden)


@router.get(
    "", response_model=Page[UserRead], responses=_ADMIN_ERRORS, summary="用户列表（管理员）"
)
def list_users(
    session: SessionDep, _: AdminUser, page: PageDep, role: Role | None = None
) -> Page[UserRead]:
    rows, total = paginate(session, repository.list_statement(role), page)
    return Page(
        items=[UserRead.model_validate(u) for u in rows],
        total=total,
        page=page.page,
        page_size=page.page_size,
    )


@router.post(
    "",
    response_model=UserRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, BadRequest, Conflict, NotFound),
    summary="开通账号（管理员，可开通专家、经纪人、管理员）",
)
def create_user(session: SessionDep, _: AdminUser, data: UserCreate) -> UserRead:
    return UserRead.model_validate(service.create(session, data))


@router.patch(
    "/{user_id}",
    response_model=UserRead,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="启用/停用账号（管理员）",
)
def update_user(session: SessionDep, admin: AdminUser, user_id: Id, data: UserUpdate) -> UserRead:
    if user_id == admin.id and not data.is_active:
        raise BadRequest("不能停用自己的账号", "You cannot disable yourself", code="self_disable")
    return UserRead.model_validate(service.set_active(session, user_id, data.is_active))
