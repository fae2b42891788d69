from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import AdminUser, CurrentUser
from service.kit.actions import action_routes
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    StaleVersion,
    responses,
)
from service.kit.inputs import Id, Line
from service.kit.pagination import Page, PageDep
from service.models import User
from service.reviews import criteria, presenters, results, service
from service.reviews.lifecycle import REVIEW_MACHINE
from service.reviews.schemas import (
    AssignIn,
    AssignmentFilter,
    AssignmentRead,
    AssignmentSummary,
    CriterionAdminRead,
    CriterionCreate,
    CriterionRead,
    CriterionUpdate,
    ExtendIn,
    ReviewIn,
    ReviewResults,
    SubmitIn,
)

router = APIRouter(tags=["专家论证 reviews"])
_ERRORS = responses(
    NotAuthenticated, Forbidden, NotFound, InvalidTransition, StaleVersion, BadRequest, Conflict
)


@router.get(
    "/review-criteria",
    response_model=list[CriterionRead],
    responses=responses(NotAuthenticated),
    summary="专家论证评审项及权重",
)
def list_criteria(session: SessionDep, user: CurrentUser) -> list[CriterionRead]:
    return [CriterionRead.model_validate(c) for c in criteria.listed(session)]


@router.get(
    "/review-criteria/all",
    response_model=list[CriterionAdminRead],
    responses=responses(NotAuthenticated, Forbidden),
    summary="全部评审项（含已停用，管理员）",
)
def list_all_criteria(session: SessionDep, user: AdminUser) -> list[CriterionAdminRead]:
    return [CriterionAdminRead.model_validate(c) for c in criteria.listed(session, True)]


@router.post(
    "/review-criteria",
    response_model=CriterionAdminRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, Conflict),
    summary="新增评审项（管理员）",
)
def create_criterion(
    session: SessionDep, user: AdminUser, data: CriterionCreate
) -> CriterionAdminRead:
    return CriterionAdminRead.model_validate(criteria.create(session, data))


@router.patch(
    "/review-criteria/{code}",
    response_model=CriterionAdminRead,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="修改评审项名称、权重、顺序或停用（管理员；对尚未提交的评审生效）",
)
def update_criterion(
    session: SessionDep, user: AdminUser, code: Line, data: CriterionUpdate
) -> CriterionAdminRead:
    return CriterionAdminRead.model_validate(criteria.update(session, code, data))


@router.post(
    "/needs/{need_id}/review-assignments",
    response_model=AssignmentRead,
    status_code=201,
    responses=_ERRORS,
    summary="指派评审专家（管理员；仅揭榜挂帅需求，利益冲突者拒绝）",
)
def assign_expert(
    session: SessionDep, user: AdminUser, need_id: Id, data: AssignIn
) -> AssignmentRead:
    return presenters.detail(session, user, service.assign(session, user, need_id, data))


@router.get(
    "/needs/{need_id}/review-results",
    response_model=ReviewResults,
    responses=responses(NotAuthenticated, Forbidden, NotFound),
    summary="专家论证结果汇总与排名（管理员见逐位专家评分；发榜企业只见汇总）",
)
def review_results(session: SessionDep, user: CurrentUser, need_id: Id) -> ReviewResults:
    return results.results(session, user, need_id)


@router.get(
    "/review-assignments",
    response_model=Page[AssignmentSummary],
    responses=responses(NotAuthenticated, Forbidden),
    summary="评审任务列表（专家：我的评审任务；管理员：全部）",
)
def list_assignments(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    filters: Annotated[AssignmentFilter, Query()],
) -> Page[AssignmentSummary]:
    return service.list_assignments(session, user, filters, page)


@router.get(
    "/review-assignments/{assignment_id}",
    response_model=AssignmentRead,
    responses=responses(NotAuthenticated, NotFound, Conflict),
    summary="评审任务详情：需求全文与待评申请（仅被指派专家和管理员）",
)
def get_assignment(session: SessionDep, user: CurrentUser, assignment_id: Id) -> AssignmentRead:
    return presenters.detail(session, user, service.get_readable(session, user, assignment_id))


@router.post(
    "/review-assignments/{assignment_id}/applications",
    response_model=AssignmentRead,
    responses=_ERRORS,
    summary="为待评审任务增加申请（管理员；如截止前新收到的申请）",
)
def extend_assignment(
    session: SessionDep, user: AdminUser, assignment_id: Id, data: ExtendIn
) -> AssignmentRead:
    assignment = service.extend(session, user, assignment_id, data.application_ids)
    return presenters.detail(session, user, assignment)


@router.put(
    "/review-assignments/{assignment_id}/reviews/{application_id}",
    response_model=AssignmentRead,
    responses=_ERRORS,
    summary="保存对一份申请的评分（1–5）与意见（被指派专家，提交前可反复修改）",
)
def save_review(
    session: SessionDep, user: CurrentUser, assignment_id: Id, application_id: Id, data: ReviewIn
) -> AssignmentRead:
    assignment = service.save_review(session, user, assignment_id, application_id, data)
    return presenters.detail(session, user, assignment)


def _act(
    session: Session, user: User, assignment_id: int, action: str, body: Any
) -> AssignmentRead:
    if action == "submit":
        assignment = service.submit(session, user, assignment_id, body.comment, body.version)
    elif action == "decline":
        assignment = service.decline(session, user, assignment_id, body.reason, body.version)
    else:
        assignment = service.withdraw(session, user, assignment_id, body.reason, body.version)
    return presenters.detail(session, user, assignment)


_PREFIX = "/review-assignments/{assignment_id}"
action_routes(
    router, REVIEW_MACHINE, _PREFIX, "review", AssignmentRead, _act,
    actions=("submit",), body=SubmitIn, errors=_ERRORS,
)  # fmt: skip
action_routes(
    router, REVIEW_MACHINE, _PREFIX, "review", AssignmentRead, _act,
    actions=("decline",), errors=_ERRORS,
)  # fmt: skip
action_routes(
    router, REVIEW_MACHINE, _PREFIX, "assignment", AssignmentRead, _act,
    actions=("withdraw",), errors=_ERRORS,
)  # fmt: skip


@router.get(
    "/review-assignments/{assignment_id}/history",
    response_model=list[AuditEventRead],
    responses=responses(NotAuthenticated, NotFound),
    summary="评审任务状态变更记录",
)
def assignment_history(
    session: SessionDep, user: CurrentUser, assignment_id: Id
) -> list[AuditEventRead]:
    assignment = service.get_readable(session, user, assignment_id)
    return history(session, "review_assignment", assignment.id)
