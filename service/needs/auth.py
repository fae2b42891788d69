"""Who may see and do what with a need. One readable rule; the field-level rules beside it."""

from sqlalchemy import ColumnElement, and_, or_

from service.models import Need, User
from service.models.enums import NeedStatus, Role, Visibility
from service.needs.lifecycle import EDITABLE_STATES, NEED_MACHINE, PUBLIC_STATES


def readable(user: User | None) -> ColumnElement[bool]:
    """The needs `user` may see at all.

    public, researchers, experts, other enterprises: published-and-later, not brokers-only;
    owner (an enterprise user of the posting org): all of its own; broker: published-and-later
    of every visibility; admin: everything but other people's drafts.
    """
    on_board = Need.status.in_(PUBLIC_STATES)
    if user is None:
        return and_(on_board, Need.visibility != Visibility.brokers_only)
    if user.role == Role.admin:
        return Need.status != NeedStatus.draft
    if user.role == Role.broker:
        return on_board
    public = and_(on_board, Need.visibility != Visibility.brokers_only)
    if user.role == Role.enterprise and user.org_id is not None:
        return or_(public, Need.org_id == user.org_id)
    return public


def is_owner(user: User | None, need: Need) -> bool:
    return user is not None and user.role == Role.enterprise and user.org_id == need.org_id


def is_privileged(user: User | None, need: Need) -> bool:
    """Owner, brokers and admins see the enterprise and the contact."""
    return user is not None and (user.role in (Role.broker, Role.admin) or is_owner(user, need))


def sees_org(user: User | None, need: Need) -> bool:
    return need.visibility != Visibility.anonymous or is_privileged(user, need)


def org_filter(user: User | None, org_id: int) -> ColumnElement[bool]:
    """Filter by organisation without revealing who posted an anonymous need."""
    if user is not None and user.role in (Role.broker, Role.admin):
        return Need.org_id == org_id
    if user is not None and user.org_id == org_id:
        return Need.org_id == org_id
    return and_(Need.org_id == org_id, Need.visibility != Visibility.anonymous)


def sees_reject_reason(user: User | None, need: Need) -> bool:
    return user is not None and (user.role == Role.admin or is_owner(user, need))


def can_edit(user: User | None, need: Need) -> bool:
    return is_owner(user, need) and need.status in EDITABLE_STATES


_OWNER_ACTIONS = {"submit"}
_ADMIN_ACTIONS = {"approve", "reject"}


def may(user: User | None, need: Need, action: str) -> bool:
    """Whether `user` holds the role for `action` on `need` (the state is checked separately)."""
    if action in _OWNER_ACTIONS:
        return is_owner(user, need)
    if action in _ADMIN_ACTIONS:
        return user is not None and user.role == Role.admin
    if action == "withdraw":  # an admin withdraws on the enterprise's request
        return is_owner(user, need) or (user is not None and user.role == Role.admin)
    if action in ("start", "complete"):  # after the award (service/milestones/progress.py)
        return is_owner(user, need) or (user is not None and user.role == Role.admin)
    if action == "terminate":  # the enterprise requests it, an admin terminates
        return user is not None and user.role == Role.admin
    return False


def actions(user: User | None, need: Need) -> list[str]:
    """What the caller could do now: drives the buttons the web app shows."""
    allowed = [a for a in NEED_MACHINE.allowed_actions(need.status) if may(user, need, a)]
    if can_edit(user, need):
        allowed.insert(0, "edit")
    return allowed
