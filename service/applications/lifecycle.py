"""The application lifecycle: submitted → shortlisted → awarded | rejected; withdrawn."""

from service.kit.lifecycle import StateMachine, step
from service.models.enums import ApplicationStatus as S

APPLICATION_MACHINE = StateMachine(
    "application",
    {s.value: s.label for s in S},
    step("create", "提交揭榜申请", (), S.submitted),
    step("shortlist", "入围", {S.submitted}, S.shortlisted),
    step("reject", "不予入选", {S.submitted, S.shortlisted}, S.rejected, reason=True),
    step("award", "确定揭榜成功", {S.submitted, S.shortlisted}, S.awarded),
    step("withdraw", "撤回申请", {S.submitted, S.shortlisted}, S.withdrawn),
)

LIVE_STATES = frozenset({S.submitted.value, S.shortlisted.value, S.awarded.value})
EDITABLE_STATES = frozenset({S.submitted.value})
