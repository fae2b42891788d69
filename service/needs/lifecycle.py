"""The need lifecycle (docs/PRODUCT.md): every state and every allowed move, in one table."""

from service.kit.lifecycle import StateMachine, step
from service.models.enums import NeedStatus as S

_LABELS = {s.value: s.label for s in S}


NEED_MACHINE = StateMachine(
    "need",
    _LABELS,
    step("create", "创建", (), S.draft),
    step("submit", "提交审核", {S.draft, S.rejected}, S.submitted),
    step("approve", "审核通过（张榜）", {S.submitted}, S.published),
    step("reject", "驳回", {S.submitted}, S.rejected, reason=True),
    step("close_applications", "截止揭榜，进入评审", {S.published}, S.under_review),
    step("award", "确定揭榜方", {S.under_review, S.published}, S.awarded),
    step("start", "开始实施", {S.awarded}, S.in_progress),
    step("complete", "验收完成", {S.in_progress}, S.completed),
    step("terminate", "终止", {S.awarded, S.in_progress}, S.terminated, reason=True),
    step("expire", "过期（无人揭榜成功）", {S.published, S.under_review}, S.expired),
    step("withdraw", "撤回", {S.draft, S.submitted, S.rejected, S.published}, S.withdrawn),
)

# Where the public 榜单 shows a need: from 张榜 through its result.
PUBLIC_STATES = frozenset(
    s.value for s in (S.published, S.under_review, S.awarded, S.in_progress, S.completed)
)
EDITABLE_STATES = frozenset({S.draft.value, S.rejected.value})
