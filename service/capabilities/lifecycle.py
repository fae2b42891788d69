"""The capability lifecycle: draft → submitted → published | rejected → archived, and who
takes each step."""

from typing import Any

from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, either, role, step
from service.models.enums import CapabilityStatus as S
from service.models.enums import Role


def is_owner(user: Any, cap: Any) -> bool:
    """A researcher of the capability's organisation."""
    return user is not None and user.role == Role.researcher and user.org_id == cap.org_id


admin = role(Role.admin)

CAPABILITY_MACHINE = StateMachine(
    "capability",
    S,
    step("create", "创建", (), S.draft),
    step(
        "submit",
        "提交审核",
        {S.draft, S.rejected},
        S.submitted,
        by=is_owner,
        summary="提交审核（成果方）",
    ),
    step(
        "approve",
        "审核通过（发布）",
        {S.submitted},
        S.published,
        by=admin,
        summary="审核通过并发布（管理员）",
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
    step(
        "archive",
        "归档",
        {S.draft, S.rejected, S.published},
        S.archived,
        by=either(is_owner, admin),
        summary="归档（成果方或管理员）",
    ),
    record=record_transition,
    refusal=("你无权对该成果执行此操作", "Not allowed for your role", "not_allowed"),
)

PUBLIC_STATES = frozenset({S.published.value})
EDITABLE_STATES = frozenset({S.draft.value, S.rejected.value})
