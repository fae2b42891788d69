"""The milestone lifecycle.

The enterprise proposes; the winner must agree before work is owed (an agreement needs both
sides), or decline with a reason. Agreed milestones are submitted by the winner with a delivery
note, accepted or returned (reason) by the enterprise, and accepted ones are marked paid.
"""

from service.kit.lifecycle import StateMachine, step
from service.models.enums import MilestoneStatus as S
from service.models.enums import NeedStatus

MILESTONE_MACHINE = StateMachine(
    "milestone",
    {s.value: s.label for s in S},
    step("create", "提出里程碑", (), S.proposed),
    step("agree", "确认里程碑", {S.proposed}, S.pending),
    step("decline", "不同意里程碑", {S.proposed}, S.cancelled, reason=True),
    step("cancel", "取消里程碑", {S.proposed}, S.cancelled),
    step("submit", "提交成果", {S.pending, S.returned}, S.submitted),
    step("accept", "验收通过", {S.submitted}, S.accepted),
    step("return", "退回修改", {S.submitted}, S.returned, reason=True),
    step("pay", "标记已支付", {S.accepted}, S.paid),
    # Termination voids the work not yet accepted, so the ledger shows only what is owed.
    step(
        "void",
        "随需求终止作废",
        {S.proposed, S.pending, S.submitted, S.returned},
        S.cancelled,
        reason=True,
    ),
)

# Milestones that count against the committed amount (everything but cancelled ones).
LIVE_STATES = frozenset(s.value for s in S if s != S.cancelled)
DONE_STATES = frozenset({S.accepted.value, S.paid.value})
ACCEPTED_STATES = DONE_STATES  # a paid milestone was accepted first
EDITABLE_STATES = frozenset({S.proposed.value})

# The need states in which milestones may be agreed and worked on; payment of accepted work
# stays possible after 验收 or termination.
WORKING_NEED_STATES = frozenset({NeedStatus.awarded.value, NeedStatus.in_progress.value})
PAYABLE_NEED_STATES = frozenset(
    {NeedStatus.in_progress.value, NeedStatus.completed.value, NeedStatus.terminated.value}
)
