"""The review assignment lifecycle: assigned → submitted; declined (expert); withdrawn (admin)."""

from typing import Any

from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, role, step
from service.models.enums import NeedStatus, Role
from service.models.enums import ReviewStatus as S


def is_assignee(user: Any, assignment: Any) -> bool:
    """The expert the assignment is for."""
    return user is not None and user.role == Role.expert and user.id == assignment.expert_id


NOT_ASSIGNEE = ("只有被指派的专家可以评审打分", "Assignee only", "not_assignee")

REVIEW_MACHINE = StateMachine(
    "review_assignment",
    S,
    step("create", "指派评审专家", (), S.assigned),
    step(
        "submit",
        "提交评审意见",
        {S.assigned},
        S.submitted,
        by=is_assignee,
        summary="提交评审意见（提交后只读）",
        refusal=NOT_ASSIGNEE,
    ),
    step(
        "decline",
        "谢绝评审（含利益回避）",
        {S.assigned},
        S.declined,
        reason=True,
        by=is_assignee,
        summary="谢绝评审（被指派专家，须填写理由，如利益回避）",
        refusal=("只有被指派的专家可以谢绝评审", "Assignee only", "not_assignee"),
    ),
    step(
        "withdraw",
        "撤销指派",
        {S.assigned, S.submitted},
        S.withdrawn,
        reason=True,
        by=role(Role.admin),
        summary="撤销指派（管理员，须填写理由；已提交的评分不再计入）",
        refusal=("只有管理员可以撤销指派", "Admins only", "not_allowed"),
    ),
    record=record_transition,
)

LIVE_STATES = frozenset({S.assigned.value, S.submitted.value})
# Experts are assigned, and score, while the call is open or under review; not after the award.
REVIEW_NEED_STATES = frozenset({NeedStatus.published.value, NeedStatus.under_review.value})
