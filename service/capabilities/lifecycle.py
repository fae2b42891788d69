"""The capability lifecycle: draft → submitted → published | rejected → archived."""

from service.kit.lifecycle import StateMachine, step
from service.models.enums import CapabilityStatus as S

_LABELS = {s.value: s.label for s in S}


CAPABILITY_MACHINE = StateMachine(
    "capability",
    _LABELS,
    step("create", "创建", (), S.draft),
    step("submit", "提交审核", {S.draft, S.rejected}, S.submitted),
    step("approve", "审核通过（发布）", {S.submitted}, S.published),
    step("reject", "驳回", {S.submitted}, S.rejected, reason=True),
    step("archive", "归档", {S.draft, S.rejected, S.published}, S.archived),
)

PUBLIC_STATES = frozenset({S.published.value})
EDITABLE_STATES = frozenset({S.draft.value, S.rejected.value})
