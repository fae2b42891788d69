"""Who may ask for a posting's near-duplicates, and which postings they may be shown."""

from typing import Any, Literal

from sqlalchemy import ColumnElement

from service.capabilities import auth as capability_auth
from service.capabilities.lifecycle import is_owner as owns_capability
from service.models import User
from service.models.enums import Role
from service.needs import auth as need_auth
from service.needs.lifecycle import is_owner as owns_need

Kind = Literal["need", "capability"]


def may_check(user: User, kind: Kind, posting: Any) -> bool:
    """The poster (an enterprise user for a need, a researcher for a capability, of the
    posting's organisation), brokers and admins."""
    if user.role in (Role.admin, Role.broker):
        return True
    return owns_need(user, posting) if kind == "need" else owns_capability(user, posting)


def readable(user: User, kind: Kind) -> ColumnElement[bool]:
    """The postings of `kind` the caller may see at all: only those may be named to them."""
    return need_auth.readable(user) if kind == "need" else capability_auth.readable(user)


def may_mark(user: User) -> bool:
    return user.role == Role.admin
