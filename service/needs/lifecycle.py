"""The need lifecycle (docs/PRODUCT.md): every state and every allowed move, in one table."""

from typing import Any

from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, either, role, step
from service.models.enums import InvitationStatus, Role
from service.models.enums import NeedStatus as S


def is_owner(user: Any, need: Any) -> bool:
    """An enterprise user of the posting organisation."""
    return user is not None and user.role == Role.enterprise and user.org_id == need.org_id


admin = role(Role.admin)
owner_or_admin = either(is_owner, admin)

NEED_MACHINE = StateMachine(
    "need",
    S,
    step("create", "创建", (), S.draft),
    step(
        "submit",
        "提交审核",
        {S.draft, S.rejected},
        S.submitted,
        by=is_owner,
        summary="提交审核（发布企业）",
    ),
    step(
        "approve",
        "审核通过（张榜）",
        {S.submitted},
        S.published,
        by=admin,
        summary="审核通过并张榜（管理员）",
    ),
    step(
        "reject",
        "驳回",
        {S.submitted},
        S.rejected,
        reason=True,
        by=admin,
        summary="驳回（管理员，须填写理由）",
    ),
    step("close_applications", "截止揭榜，进入评审", {S.published}, S.under_review),
    step("award", "确定揭榜方", {S.under_review, S.published}, S.awarded),
    step(
        "start",
        "开始实施",
        {S.awarded},
        S.in_progress,
        by=owner_or_admin,
        summary="开始实施（发榜企业或管理员；首个里程碑确认时自动进入）",
    ),
    step(
        "complete",
        "验收完成",
        {S.in_progress},
        S.completed,
        by=owner_or_admin,
        summary="验收完成（全部里程碑已验收；发榜企业或管理员）",
    ),
    # The enterprise requests termination (POST /needs/{id}/request-termination), an admin acts.
    step(
        "terminate",
        "终止",
        {S.awarded, S.in_progress},
        S.terminated,
        reason=True,
        by=admin,
        summary="终止（管理员，须填写理由）",
    ),
    step("expire", "过期（无人揭榜成功）", {S.published, S.under_review}, S.expired),
    # An admin withdraws on the enterprise's request (when applications already count).
    step(
        "withdraw",
        "撤回",
        {S.draft, S.submitted, S.rejected, S.published},
        S.withdrawn,
        by=owner_or_admin,
        summary="撤回需求（发布企业）",
    ),
    record=record_transition,
    refusal=("你无权对该需求执行此操作", "Not allowed for your role", "not_allowed"),
)

# Where the public 榜单 shows a need: from 张榜 through its result.
PUBLIC_STATES = frozenset(
    s.value for s in (S.published, S.under_review, S.awarded, S.in_progress, S.completed)
)
EDITABLE_STATES = frozenset({S.draft.value, S.rejected.value})
# Steps users take over POST /needs/{id}/<action> (the others come from other domains' flows).
PROGRESS_ACTIONS = frozenset({"start", "complete", "terminate"})

# 邀请揭榜: the need's enterprise invites a recommended capability's organisation to apply.
# One invitation per need × capability; its birth is the audit row (who, when).
INVITATION_MACHINE = StateMachine(
    "invitation",
    InvitationStatus,
    step("invite", "邀请揭榜", (), InvitationStatus.sent, by=is_owner),
    record=record_transition,
    refusal=(
        "只有需求的发布企业可以邀请揭榜",
        "Only the need's enterprise may invite",
        "not_allowed",
    ),
)
