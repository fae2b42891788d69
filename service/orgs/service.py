from sqlalchemy.orm import Session

from service.kit.db import unique_or
from service.kit.errors import Conflict, found
from service.kit.pagination import Page, PageParams, page_of
from service.models import Organization
from service.orgs import repository
from service.orgs.schemas import OrgCreate, OrgFilter, OrgRead


def create(session: Session, data: OrgCreate) -> Organization:
    exists = Conflict(
        f"机构「{data.name}」已注册，请联系该机构的管理员或平台添加账号",
        "Organisation already registered",
        code="org_exists",
    )
    if repository.by_name(session, data.name) is not None:
        raise exists
    org = Organization(**data.model_dump())
    with unique_or(session, exists):
        session.add(org)
        session.flush()
    return org


def list_orgs(session: Session, filters: OrgFilter, page: PageParams) -> Page[OrgRead]:
    rows, total = repository.list_page(session, filters, page)
    return page_of([OrgRead.model_validate(o) for o in rows], total, page)


def get(session: Session, org_id: int) -> Organization:
    return found(repository.by_id(session, org_id), ("机构不存在", "Organisation not found"))
