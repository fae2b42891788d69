from fastapi import APIRouter
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser
from service.kit.actions import action_routes
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Forbidden,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    StaleVersion,
    responses,
)
from service.kit.inputs import Id
from service.milestones import ledger, presenters, service
from service.milestones.lifecycle import MILESTONE_MACHINE
from service.milestones.schemas import (
    LedgerRead,
    MilestoneActionIn,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
)
from service.models import Milestone, User

router = APIRouter(tags=["里程碑与台账 milestones"])
_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest
)
_READ_ERRORS = responses(NotAuthenticated, Forbidden, NotFound)


def _read(session: SessionDep, user: User, m: Milestone) -> MilestoneRead:
    return service.present(session, user, m)


@router.get(
    "/needs/{need_id}/milestones",
    response_model=list[MilestoneRead],
    responses=_READ_ERRORS,
    summary="需求的里程碑（发榜企业、揭榜方、管理员）",
)
def list_milestones(session: SessionDep, user: CurrentUser, need_id: Id) -> list[MilestoneRead]:
    return service.list_for_need(session, user, need_id)


@router.post(
    "/needs/{need_id}/milestones",
    response_model=MilestoneRead,
    status_code=201,
    responses=_ERRORS,
    summary="提出里程碑（发榜企业；揭榜方确认后生效）",
)
def create_milestone(
    session: SessionDep, user: CurrentUser, need_id: Id, data: MilestoneCreate
) -> MilestoneRead:
    return _read(session, user, service.create(session, user, need_id, data))


@router.get(
    "/needs/{need_id}/ledger",
    response_model=LedgerRead,
    responses=_READ_ERRORS,
    summary="悬赏台账：悬赏、承诺、里程碑、已验收、已支付、余额（万元）",
)
def need_ledger(session: SessionDep, user: CurrentUser, need_id: Id) -> LedgerRead:
    return ledger.ledger(session, user, need_id)


@router.get(
    "/milestones/{milestone_id}",
    response_model=MilestoneRead,
    responses=_READ_ERRORS,
    summary="里程碑详情",
)
def get_milestone(session: SessionDep, user: CurrentUser, milestone_id: Id) -> MilestoneRead:
    return _read(session, user, service.get_readable(session, user, milestone_id))


@router.patch(
    "/milestones/{milestone_id}",
    response_model=MilestoneRead,
    responses=_ERRORS,
    summary="修改待确认的里程碑（发榜企业，需带版本号）",
)
def update_milestone(
    session: SessionDep, user: CurrentUser, milestone_id: Id, data: MilestoneUpdate
) -> MilestoneRead:
    return _read(session, user, service.update(session, user, milestone_id, data))


def _act(
    session: Session, user: User, milestone_id: int, action: str, body: MilestoneActionIn
) -> MilestoneRead:
    m = service.transition(
        session, user, milestone_id, action, body.reason, body.note, body.version
    )
    return presenters.milestone(m, m.need, user)


action_routes(
    router, MILESTONE_MACHINE, "/milestones/{milestone_id}", "milestone", MilestoneRead, _act,
    body=MilestoneActionIn, errors=_ERRORS,
)  # fmt: skip


@router.get(
    "/milestones/{milestone_id}/history",
    response_model=list[AuditEventRead],
    responses=_READ_ERRORS,
    summary="里程碑状态变更记录",
)
def milestone_history(
    session: SessionDep, user: CurrentUser, milestone_id: Id
) -> list[AuditEventRead]:
    m = service.get_readable(session, user, milestone_id)
    return history(session, "milestone", m.id)
