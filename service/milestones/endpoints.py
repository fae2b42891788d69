from fastapi import APIRouter
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.kit.routes import GUARDED_ERRORS, Resource, create_route, route
from service.milestones import ledger, presenters, service
from service.milestones.lifecycle import MILESTONE_MACHINE
from service.milestones.schemas import (
    LedgerRead,
    MilestoneActionIn,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
)
from service.models import User

router = APIRouter(tags=["里程碑与台账 milestones"])
item = Resource(
    router, "/milestones/{milestone_id}", "milestone", MilestoneRead, service.get_readable,
    service.present,
)  # fmt: skip

route(
    router, "GET", "/needs/{need_id}/milestones", service.list_for_need, list[MilestoneRead],
    name="list_milestones", summary="需求的里程碑（发榜企业、揭榜方、管理员）",
    errors=GUARDED_ERRORS,
)  # fmt: skip
create_route(
    router, "/needs/{need_id}/milestones", MilestoneRead, service.create, MilestoneCreate,
    name="create_milestone", summary="提出里程碑（发榜企业；揭榜方确认后生效）",
    present=service.present,
)  # fmt: skip
route(
    router, "GET", "/needs/{need_id}/ledger", ledger.ledger, LedgerRead, name="need_ledger",
    summary="悬赏台账：悬赏、承诺、里程碑、已验收、已支付、余额（万元）", errors=GUARDED_ERRORS,
)  # fmt: skip
item.detail("里程碑详情", GUARDED_ERRORS)
item.update(MilestoneUpdate, service.update, "修改待确认的里程碑（发榜企业，需带版本号）")


def _act(
    session: Session, user: User, milestone_id: int, action: str, body: MilestoneActionIn
) -> MilestoneRead:
    m = service.transition(session, user, milestone_id, action, body)
    return presenters.milestone(m, m.need, user)


item.actions(MILESTONE_MACHINE, _act, body=MilestoneActionIn)
item.history(
    "里程碑状态变更记录", list[AuditEventRead],
    lambda session, user, m: history(session, "milestone", m.id), GUARDED_ERRORS,
)  # fmt: skip
