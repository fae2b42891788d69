"""A subscription's lifecycle: active ⇄ paused (by its owner, or 退订 from the e-mail's signed
link), deleted by its owner. Deleted subscriptions stay as rows, so the history keeps them."""

from typing import Any

from service.audit.service import record_transition
from service.kit.lifecycle import StateMachine, step
from service.models.enums import SubscriptionStatus as S


def is_owner(user: Any, sub: Any) -> bool:
    return user is not None and user.id == sub.user_id


SUBSCRIPTION_MACHINE = StateMachine(
    "subscription",
    S,
    step("create", "创建订阅", (), S.active),
    step("pause", "暂停", {S.active}, S.paused, by=is_owner, summary="暂停订阅（本人）"),
    step("resume", "恢复", {S.paused}, S.active, by=is_owner, summary="恢复订阅（本人）"),
    # taken through the e-mail's signed link (no session): the link names the owner
    step("unsubscribe", "邮件退订", {S.active}, S.paused, by=is_owner),
    step("delete", "删除", {S.active, S.paused}, S.deleted, by=is_owner),
    record=record_transition,
    refusal=("只能管理自己的订阅", "Not your subscription", "not_allowed"),
)

LIVE_STATES = frozenset({S.active.value, S.paused.value})
