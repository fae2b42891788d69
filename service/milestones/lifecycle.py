"""The milestone lifecycle.

The enterprise proposes; the winner must agree before work is owed (an agreement needs both
sides), or decline with a reason. Agreed milestones are submitted by the winner with a delivery
note, accepted or returned (reason) by the enterprise, and accepted ones are marked paid.
"""

from typing import Any, NamedTuple

from service.applications.lifecycle import is_applicant
from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, either, role, step
from service.models.enums import ApplicationStatus, NeedStatus, Role
from service.models.enums import MilestoneStatus as S
from service.needs.lifecycle import is_owner as is_need_owner


class Work(NamedTuple):
    """What a step of a milestone is judged on: its need and its (winning) application."""

    need: Any
    app: Any


def is_winner(user: Any, app: Any) -> bool:
    """A user of the lead organisation of an awarded application: the one who delivers."""
    return app.status == ApplicationStatus.awarded and is_applicant(user, app)


def _winner(user: Any, work: Work) -> bool:
    return is_winner(user, work.app)


def _owner(user: Any, work: Work) -> bool:
    return is_need_owner(user, work.need)


_owner_or_admin = either(_owner, role(Role.admin))

MILESTONE_MACHINE = StateMachine(
    "milestone",
    S,
    step("create", "提出里程碑", (), S.proposed),
    step(
        "agree", "确认里程碑", {S.proposed}, S.pending, by=_winner, summary="确认里程碑（揭榜方）"
    ),
    step(
        "decline",
        "不同意里程碑",
        {S.proposed},
        S.cancelled,
        reason=True,
        by=_winner,
        summary="不同意里程碑（揭榜方，须填写理由）",
    ),
    step(
        "cancel",
        "取消里程碑",
        {S.proposed},
        S.cancelled,
        by=_owner_or_admin,
        summary="取消待确认的里程碑（发榜企业或管理员）",
    ),
    step(
        "submit",
        "提交成果",
        {S.pending, S.returned},
        S.submitted,
        by=_winner,
        summary="提交成果（揭榜方，须填写交付说明 note）",
    ),
    step(
        "accept", "验收通过", {S.submitted}, S.accepted, by=_owner, summary="验收通过（发榜企业）"
    ),
    step(
        "return",
        "退回修改",
        {S.submitted},
        S.returned,
        reason=True,
        by=_owner,
        summary="退回修改（发榜企业，须填写理由）",
    ),
    step(
        "pay",
        "标记已支付",
        {S.accepted},
        S.paid,
        by=_owner_or_admin,
        summary="标记已支付（发榜企业或管理员）",
    ),
    # Termination voids the work not yet accepted, so the ledger shows only what is owed.
    step(
        "void",
        "随需求终止作废",
        {S.proposed, S.pending, S.submitted, S.returned},
        S.cancelled,
        reason=True,
    ),
    record=record_transition,
    refusal=("你无权对该里程碑执行此操作", "Not allowed for your role", "not_allowed"),
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
