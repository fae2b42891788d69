"""Who may see a capability and its parts. Who may move it: lifecycle.py."""

from sqlalchemy import ColumnElement, or_

from service.capabilities.lifecycle import EDITABLE_STATES, PUBLIC_STATES, is_owner
from service.models import Capability, User
from service.models.enums import CapabilityStatus, Role


def readable(user: User | None) -> ColumnElement[bool]:
    """Everyone sees published capabilities; the owning org sees all of its own; admins see
    everything but other people's drafts."""
    public = Capability.status.in_(PUBLIC_STATES)
    if user is None:
        return public
    if user.role == Role.admin:
        return Capability.status != CapabilityStatus.draft
    if user.role == Role.researcher and user.org_id is not None:
        return or_(public, Capability.org_id == user.org_id)
    return public


def is_privileged(user: User | None, cap: Capability) -> bool:
    return user is not None and (user.role in (Role.broker, Role.admin) or is_owner(user, cap))


def sees_history(user: User | None, cap: Capability) -> bool:
    """The owner and admins read the state history and its reject reason."""
    return user is not None and (user.role == Role.admin or is_owner(user, cap))


def can_edit(user: User | None, cap: Capability) -> bool:
    return is_owner(user, cap) and cap.status in EDITABLE_STATES


def offers(user: User | None, cap: Capability) -> list[str]:
    """The caller's buttons beside the lifecycle steps: the needs recommended for a published
    capability (its owner, brokers and admins)."""
    published = cap.status == CapabilityStatus.published
    return ["recommendations"] if published and is_privileged(user, cap) else []
