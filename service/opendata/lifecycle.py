"""An API key's lifecycle: active → revoked, and who takes each step."""

from typing import Any

from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, either, role, step
from service.models.enums import ORG_STAFF_ROLES, Role
from service.models.enums import ApiKeyStatus as S


def is_org_staff(user: Any, key: Any) -> bool:
    """An enterprise user or researcher of the organisation the key belongs to."""
    return user is not None and user.role in ORG_STAFF_ROLES and user.org_id == key.org_id


API_KEY_MACHINE = StateMachine(
    "api_key",
    S,
    step("create", "创建", (), S.active),
    step(
        "revoke",
        "吊销",
        {S.active},
        S.revoked,
        by=either(is_org_staff, role(Role.admin)),
        summary="吊销开放接口密钥（本单位人员或管理员；吊销后立即失效）",
    ),
    record=record_transition,
    refusal=("只有本单位人员和管理员可以管理该密钥", "Not your organisation's key", "not_allowed"),
)
