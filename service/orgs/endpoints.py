from sqlalchemy.orm import Session

from service.auth.deps import AdminUser
from service.kit.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from service.kit.routes import create_route, list_route, route, routers
from service.models import Organization
from service.orgs import service
from service.orgs.schemas import OrgCreate, OrgFilter, OrgRead

router, public = routers("机构 organisations", "/orgs")


def _read(session: Session, user: object, org: Organization) -> OrgRead:
    return OrgRead.model_validate(org)


list_route(public, "", OrgRead, service.list_orgs, name="list_orgs", summary="机构名录（公开）",
           filters=OrgFilter, errors=None, user=None)  # fmt: skip
route(public, "GET", "/{org_id}", service.get, OrgRead, name="get_org", user=None,
      summary="机构详情（公开）", errors=responses(NotFound),
      present=_read)  # fmt: skip
create_route(
    router, "", OrgRead, lambda session, admin, data: service.create(session, data), OrgCreate,
    name="create_org", summary="新建机构（管理员）", user=AdminUser, present=_read,
    errors=responses(NotAuthenticated, Forbidden, Conflict),
)  # fmt: skip
