"""The account lifecycle: created active by an admin, or registered pending an admin's approval
when the role sees contacts or curates (broker, expert, admin)."""

from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, step
from service.models.enums import AccountStatus as S
from service.models.enums import Role

ACCOUNT_MACHINE = StateMachine(
    "user",
    S,
    step("create", "开通账号", (), S.active),
    step("register", "注册（待审核）", (), S.pending),
    step("register_active", "注册", (), S.active),
    step("approve", "审核通过", {S.pending}, S.active),
    step("refuse", "审核不通过", {S.pending}, S.refused, reason=True),
    record=record_transition,
)

# Roles that see contacts or curate: only an admin grants them (creates or approves).
APPROVAL_ROLES = frozenset({Role.broker.value, Role.expert.value, Role.admin.value})
