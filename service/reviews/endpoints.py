from typing import Any

from fastapi import APIRouter
from sqlalchemy.orm import Session

from service.audit.schemas import AuditEventRead
from service.audit.service import history
from service.auth.deps import AdminUser
from service.kit.errors import Conflict, Forbidden, NotAuthenticated, NotFound, responses
from service.kit.inputs import Line
from service.kit.routes import (
    CONFLICT_ERRORS,
    GUARDED_ERRORS,
    ROLE_ERRORS,
    SIGNED_IN_ERRORS,
    Resource,
    create_route,
    list_route,
    route,
)
from service.models import User
from service.reviews import criteria, presenters, results, service
from service.reviews.lifecycle import REVIEW_MACHINE
from service.reviews.schemas import (
    AssignIn,
    AssignmentFilter,
    AssignmentRead,
    AssignmentState,
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
_CRITERIA = "/review-criteria"
item = Resource(
    router, "/review-assignments/{assignment_id}", "assignment", AssignmentRead,
    service.get_readable, presenters.detail,
)  # fmt: skip


def _admin_view(session: Session, user: Any, row: Any) -> CriterionAdminRead:
    return CriterionAdminRead.model_validate(row)


route(
    router, "GET", _CRITERIA,
    lambda session, user: [CriterionRead.model_validate(c) for c in criteria.listed(session)],
    list[CriterionRead], name="list_criteria", summary="专家论证评审项及权重",
    errors=SIGNED_IN_ERRORS,
)  # fmt: skip
route(
    router, "GET", _CRITERIA + "/all",
    lambda session, user: [_admin_view(session, user, c) for c in criteria.listed(session, True)],
    list[CriterionAdminRead], name="list_all_criteria", summary="全部评审项（含已停用，管理员）",
    errors=ROLE_ERRORS, user=AdminUser,
)  # fmt: skip
create_route(
    router, _CRITERIA, CriterionAdminRead,
    lambda session, user, data: criteria.create(session, data), CriterionCreate,
    name="create_criterion", summary="新增评审项（管理员）", user=AdminUser,
    errors=responses(NotAuthenticated, Forbidden, Conflict), present=_admin_view,
)  # fmt: skip
route(
    router, "PATCH", _CRITERIA + "/{code}",
    lambda session, user, code, data: criteria.update(session, code, data), CriterionAdminRead,
    name="update_criterion", user=AdminUser, body=CriterionUpdate, types={"code": Line},
    summary="修改评审项名称、权重、顺序或停用（管理员；对尚未提交的评审生效）",
    errors=GUARDED_ERRORS, present=_admin_view,
)  # fmt: skip
create_route(
    router, "/needs/{need_id}/review-assignments", AssignmentRead, service.assign, AssignIn,
    name="assign_expert", summary="指派评审专家（管理员；仅揭榜挂帅需求，利益冲突者拒绝）",
    errors=CONFLICT_ERRORS, user=AdminUser, present=presenters.detail,
)  # fmt: skip
route(
    router, "GET", "/needs/{need_id}/review-results", results.results, ReviewResults,
    name="review_results", errors=GUARDED_ERRORS,
    summary="专家论证结果汇总与排名（管理员见逐位专家评分；发榜企业只见汇总）",
)  # fmt: skip
list_route(
    router, "/review-assignments", AssignmentSummary, service.list_assignments,
    name="list_assignments", summary="评审任务列表（专家：我的评审任务；管理员：全部）",
    filters=AssignmentFilter, errors=ROLE_ERRORS,
)  # fmt: skip
item.detail(
    "评审任务详情：需求全文与待评申请（仅被指派专家和管理员）",
    responses(NotAuthenticated, NotFound, Conflict),
)
route(
    router, "POST", item.path + "/applications",
    lambda session, user, assignment_id, data: service.extend(
        session, user, assignment_id, data.application_ids
    ),
    AssignmentRead, name="extend_assignment", user=AdminUser, body=ExtendIn,
    summary="为待评审任务增加申请（管理员；如截止前新收到的申请）", errors=CONFLICT_ERRORS,
    present=presenters.detail,
)  # fmt: skip
route(
    router, "PUT", item.path + "/reviews/{application_id}", service.save_review, AssignmentRead,
    name="save_review", body=ReviewIn, errors=CONFLICT_ERRORS, present=presenters.detail,
    summary="保存对一份申请的评分（1–5）与意见（被指派专家，提交前可反复修改）",
)  # fmt: skip


def _act(
    session: Session, user: User, assignment_id: int, action: str, body: Any
) -> AssignmentState:
    """A step answers the assignment it moved (state, scores, version, actions), not the
    sheet: the web app reads the sheet again."""
    if action == "submit":
        assignment = service.submit(session, user, assignment_id, body.comment, body.version)
    elif action == "decline":
        assignment = service.decline(session, user, assignment_id, body.reason, body.version)
    else:
        assignment = service.withdraw(session, user, assignment_id, body.reason, body.version)
    return presenters.state(user, assignment)


item.actions(
    REVIEW_MACHINE, _act, actions=("submit",), body=SubmitIn, errors=CONFLICT_ERRORS,
    noun="review", read=AssignmentState,
)  # fmt: skip
item.actions(
    REVIEW_MACHINE, _act, actions=("decline",), errors=CONFLICT_ERRORS, noun="review",
    read=AssignmentState,
)  # fmt: skip
item.actions(
    REVIEW_MACHINE, _act, actions=("withdraw",), errors=CONFLICT_ERRORS, read=AssignmentState
)
item.history(
    "评审任务状态变更记录", list[AuditEventRead],
    lambda session, user, row: history(session, "review_assignment", row.id),
)  # fmt: skip
