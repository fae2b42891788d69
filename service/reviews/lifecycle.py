"""The review assignment lifecycle: assigned → submitted; declined (expert); withdrawn (admin)."""

from service.kit.lifecycle import StateMachine, step
from service.models.enums import NeedStatus
from service.models.enums import ReviewStatus as S

REVIEW_MACHINE = StateMachine(
    "review_assignment",
    {s.value: s.label for s in S},
    step("create", "指派评审专家", (), S.assigned),
    step("submit", "提交评审意见", {S.assigned}, S.submitted),
    step("decline", "谢绝评审（含利益回避）", {S.assigned}, S.declined, reason=True),
    step("withdraw", "撤销指派", {S.assigned, S.submitted}, S.withdrawn, reason=True),
)

LIVE_STATES = frozenset({S.assigned.value, S.submitted.value})
# Experts are assigned, and score, while the call is open or under review; not after the award.
REVIEW_NEED_STATES = frozenset({NeedStatus.published.value, NeedStatus.under_review.value})
