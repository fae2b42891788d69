from typing import Annotated

from fastapi import APIRouter, Body

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import CurrentUser
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
from service.milestones import ledger, progress, service
from service.milestones.schemas import (
    LedgerRead,
    MilestoneActionIn,
    MilestoneCreate,
    MilestoneRead,
    MilestoneUpdate,
)
from service.models import Milestone, User
from service.needs import presenters as need_presenters
from service.needs.schemas import NeedRead
from service.postings.schemas import TransitionIn

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


def _need_action(action: str, summary: str) -> None:
    @router.post(
        f"/needs/{{need_id}}/{action}",
        response_model=NeedRead,
        responses=_ERRORS,
        summary=summary,
        name=f"{action}_need",
    )
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        need_id: Id,
        data: Annotated[TransitionIn | None, Body()] = None,
    ) -> NeedRead:
        body = data or TransitionIn()
        need = progress.transition(session, user, need_id, action, body.reason)
        return need_presenters.need(service.need_of(session, need.id), user)


_need_action("start", "开始实施（发榜企业或管理员；首个里程碑确认时自动进入）")
_need_action("complete", "验收完成（全部里程碑已验收；发榜企业或管理员）")
_need_action("terminate", "终止（管理员，须填写理由）")


@router.post(
    "/needs/{need_id}/request-termination",
    response_model=NeedRead,
    responses=_ERRORS,
    summary="申请终止（发榜企业，须填写理由，通知管理员）",
)
def request_termination(
    session: SessionDep,
    user: CurrentUser,
    need_id: Id,
    data: Annotated[TransitionIn | None, Body()] = None,
) -> NeedRead:
    body = data or TransitionIn()
    need = progress.request_termination(session, user, need_id, body.reason)
    return need_presenters.need(service.need_of(session, need.id), user)


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


def _action(action: str, summary: str) -> None:
    @router.post(
        f"/milestones/{{milestone_id}}/{action}",
        response_model=MilestoneRead,
        responses=_ERRORS,
        summary=summary,
        name=f"{action}_milestone",
    )
    def endpoint(
        session: SessionDep,
        user: CurrentUser,
        milestone_id: Id,
        data: Annotated[MilestoneActionIn | None, Body()] = None,
    ) -> MilestoneRead:
        body = data or MilestoneActionIn()
        m = service.transition(
            session, user, milestone_id, action, body.reason, body.note, body.version
        )
        return _read(session, user, m)


_action("agree", "确认里程碑（揭榜方）")
_action("decline", "不同意里程碑（揭榜方，须填写理由）")
_action("cancel", "取消待确认的里程碑（发榜企业或管理员）")
_action("submit", "提交成果（揭榜方，须填写交付说明 note）")
_action("accept", "验收通过（发榜企业）")
_action("return", "退回修改（发榜企业，须填写理由）")
_action("pay", "标记已支付（发榜企业或管理员）")


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
