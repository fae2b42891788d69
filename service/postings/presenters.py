"""What a need and a capability show alike: their state, its reject reason (to the owner and
admins), their times and version, whether the caller owns the posting, and its buttons."""

from typing import Any, Protocol

from service.kit.lifecycle import StateMachine
from service.models import Capability, Need, User
from service.models.enums import LabelledEnum


class PostingAuth(Protocol):
    """The part of a posting domain's auth.py this reads (needs.auth, capabilities.auth)."""

    def is_owner(self, user: User | None, posting: Any, /) -> bool: ...
    def sees_history(self, user: User | None, posting: Any, /) -> bool: ...
    def can_edit(self, user: User | None, posting: Any, /) -> bool: ...
    def offers(self, user: User | None, posting: Any, /) -> list[str]: ...


def lifecycle_fields(
    posting: Need | Capability,
    user: User | None,
    status: type[LabelledEnum],
    machine: StateMachine,
    auth: PostingAuth,
) -> dict[str, Any]:
    """The posting's lifecycle part of its answer; `actions`: edit (its owner, while it is
    editable), the lifecycle steps the caller may take, the domain's own offers, then history
    (the state history, for those who may read it)."""
    state = status(posting.status)
    return {
        "status": state,
        "status_label": state.label,
        "reject_reason": posting.reject_reason if auth.sees_history(user, posting) else None,
        "published_at": posting.published_at,
        "created_at": posting.created_at,
        "updated_at": posting.updated_at,
        "version": posting.version,
        "is_owner": auth.is_owner(user, posting),
        "actions": (["edit"] if auth.can_edit(user, posting) else [])
        + machine.actions(user, posting, posting.status)
        + auth.offers(user, posting)
        + (["history"] if auth.sees_history(user, posting) else []),
    }
