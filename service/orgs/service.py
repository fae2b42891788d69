from sqlalchemy.orm import Session

from service.kit.db import unique_or
from service.kit.errors import Conflict, NotFound
from service.models import Organization
from service.orgs import repository
from service.orgs.schemas import OrgCreate


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


def get(session: Session, org_id: int) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound("机构不存在", "Organisation not found")
    return org
