from typing import Annotated

from fastapi import APIRouter, Query

from service.auth.deps import AdminUser
from service.kit.db import SessionDep
from service.kit.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep
from service.orgs import service
from service.orgs.schemas import OrgCreate, OrgFilter, OrgRead

router = APIRouter(prefix="/orgs", tags=["机构 organisations"])
public = APIRouter(prefix="/orgs", tags=["机构 organisations"])


@public.get("", response_model=Page[OrgRead], summary="机构名录（公开）")
def list_orgs(
    session: SessionDep,
    page: PageDep,
    filters: Annotated[OrgFilter, Query()],
) -> Page[OrgRead]:
    return service.list_orgs(session, filters, page)


@public.get(
    "/{org_id}", response_model=OrgRead, responses=responses(NotFound), summary="机构详情（公开）"
)
def get_org(session: SessionDep, org_id: Id) -> OrgRead:
    return OrgRead.model_validate(service.get(session, org_id))


@router.post(
    "",
    response_model=OrgRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, Conflict),
    summary="新建机构（管理员）",
)
def create_org(session: SessionDep, _: AdminUser, data: OrgCreate) -> OrgRead:
    return OrgRead.model_validate(service.create(session, data))
