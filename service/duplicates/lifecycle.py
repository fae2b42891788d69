"""The 重复 mark's lifecycle: an admin links a posting to the one it repeats, and may unlink it.

Nothing is deleted or merged away: both postings keep their history, the link keeps its own
(audit object_type "duplicate").
"""

from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, role, step
from service.models.enums import DuplicateLinkStatus as S
from service.models.enums import Role

admin = role(Role.admin)

DUPLICATE_MACHINE = StateMachine(
    "duplicate",
    S,
    step("create", "标记为重复", (), S.linked),
    step(
        "unlink",
        "取消重复标记",
        {S.linked},
        S.unlinked,
        reason=True,
        by=admin,
        summary="取消重复标记（管理员，须填写理由）",
    ),
    record=record_transition,
    refusal=("只有管理员可以处理重复标记", "Admins only", "not_allowed"),
)
