"""Who may keep API keys, whose keys a caller sees, and what the open API shows at all.

The open API shows only what the anonymous public web view shows, and less: needs on the
board (published and later) whose visibility is 公开 (never anonymous or brokers-only ones,
never drafts), published capabilities, and the awarded among those needs. Contacts, reject
reasons and every internal column stay out (presenters.py builds from the anonymous view).
"""

from sqlalchemy import ColumnElement, and_, true

from service.capabilities.lifecycle import PUBLIC_STATES as CAPABILITY_PUBLIC_STATES
from service.kit.errors import Forbidden
from service.models import ApiKey, Capability, Need, User
from service.models.enums import ORG_STAFF_ROLES, Role, Visibility
from service.needs import auth as need_auth
from service.needs.lifecycle import PUBLIC_STATES as NEED_PUBLIC_STATES


def open_needs() -> ColumnElement[bool]:
    return and_(Need.status.in_(NEED_PUBLIC_STATES), Need.visibility == Visibility.public)


def open_capabilities() -> ColumnElement[bool]:
    return Capability.status.in_(CAPABILITY_PUBLIC_STATES)


def removed_needs() -> ColumnElement[bool]:
    """Needs that were in the open data and are no longer (withdrawn, terminated, expired).
    A need's visibility is fixed once it is published (edits are for drafts and rejected
    ones), so a public need once published is exactly one that was open."""
    return and_(
        Need.published_at.is_not(None),
        Need.visibility == Visibility.public,
        Need.status.not_in(NEED_PUBLIC_STATES),
    )


def removed_capabilities() -> ColumnElement[bool]:
    """Capabilities once published and no longer (archived)."""
    return and_(
        Capability.published_at.is_not(None),
        Capability.status.not_in(CAPABILITY_PUBLIC_STATES),
    )


def open_results() -> ColumnElement[bool]:
    """The needs of the public 揭榜结果公示 (public visibility, awarded and later)."""
    return need_auth.in_results()


def may_keep_keys(user: User) -> bool:
    """Keys belong to an organisation: its staff (enterprise users, researchers) make them."""
    return user.role in ORG_STAFF_ROLES and user.org_id is not None


def require_key_holder(user: User) -> None:
    if not may_keep_keys(user):
        raise Forbidden(
            "只有企业用户和科研人员可以为本单位申请开放接口密钥",
            "Only organisation staff may create API keys",
            code="wrong_role",
        )


def require_key_reader(user: User) -> None:
    if not (may_keep_keys(user) or user.role == Role.admin):
        raise Forbidden(
            "只有企业用户、科研人员和管理员可以查看开放接口密钥",
            "Only organisation staff and admins see API keys",
            code="wrong_role",
        )


def readable_keys(user: User) -> ColumnElement[bool]:
    """An admin sees every organisation's keys; staff see their own organisation's."""
    if user.role == Role.admin:
        return true()
    return ApiKey.org_id == user.org_id
