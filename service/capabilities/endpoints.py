from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import OptionalUser, ResearcherUser
from service.capabilities import presenters, service
from service.capabilities.lifecycle import CAPABILITY_MACHINE
from service.capabilities.schemas import (
    CapabilityCreate,
    CapabilityFilter,
    CapabilityRead,
    CapabilityUpdate,
)
from service.kit.actions import TransitionIn
from service.kit.errors import Forbidden, NotFound, responses
from service.kit.routes import GUARDED_ERRORS, Resource, create_route, list_route, routers
from service.models import Capability, User

router, public = routers("科技成果 capabilities", "/capabilities")


def _present(session: Session, user: User | None, cap: Capability) -> CapabilityRead:
    return presenters.capability(cap, user)


item = Resource(router, "/{cap_id}", "capability", CapabilityRead, service.get_readable, _present)

list_route(
    public, "", CapabilityRead, service.list_capabilities, name="list_capabilities",
    summary="科技成果库（公开）", filters=CapabilityFilter, errors=None, user=OptionalUser,
)  # fmt: skip
item.detail("科技成果详情", responses(NotFound), on=public, user=OptionalUser, etag=True)
create_route(
    router, "", CapabilityRead, service.create, CapabilityCreate, name="create_capability",
    summary="发布科技成果（保存为草稿）", user=ResearcherUser, present=_present,
)  # fmt: skip
item.update(CapabilityUpdate, service.update, "修改科技成果（仅草稿或被驳回时，需带版本号）")


def _act(
    session: Session, user: User, cap_id: int, action: str, body: TransitionIn
) -> CapabilityRead:
    cap = service.transition(session, user, cap_id, action, body)
    return presenters.capability(cap, user)


def _trail(session: Session, user: User, cap: Capability) -> list[AuditEventRead]:
    if not service.history_allowed(user, cap):
        raise Forbidden("只有成果方和管理员可以查看变更记录", "Owner or admin only")
    return history(session, "capability", cap.id)


item.actions(CAPABILITY_MACHINE, _act)
item.history("状态变更记录（成果方和管理员）", list[AuditEventRead], _trail, GUARDED_ERRORS)
