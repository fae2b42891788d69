"""Who may see a need and its parts. Who may move it: its lifecycle table (lifecycle.py)."""

from datetime import date
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, or_, select

from service.kit.clock import today
from service.matches.lifecycle import REVIEWER_ROLES
from service.models import Application, ApplicationMember, Need, User
from service.models.enums import (
    ORG_STAFF_ROLES,
    ApplicationStatus,
    CallType,
    NeedStatus,
    Role,
    Visibility,
)
from service.needs.lifecycle import EDITABLE_STATES, NEED_MACHINE, PUBLIC_STATES, is_owner


class Shown(Protocol):
    """What the rules on a shown need read of it: a `Need`, or a need read as plain columns
    (a stored recommendation's, `service/engine/repository.py`)."""

    @property
    def org_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def visibility(self) -> str: ...
    @property
    def deadline(self) -> date: ...


def readable(user: User | None) -> ColumnElement[bool]:
    """The needs `user` may see at all.

    public, researchers, experts, other enterprises: published-and-later, not brokers-only;
    owner (an enterprise user of the posting org): all of its own; applicants (staff of the
    lead or a consortium member of any application to it): the need, whatever its later state
    or visibility; broker: published-and-later of every visibility; admin: everything but
    other people's drafts.
    """
    on_board = Need.status.in_(PUBLIC_STATES)
    if user is None:
        return and_(on_board, Need.visibility != Visibility.brokers_only)
    if user.role == Role.admin:
        return Need.status != NeedStatus.draft
    if user.role == Role.broker:
        return on_board
    public = and_(on_board, Need.visibility != Visibility.brokers_only)
    if user.role not in ORG_STAFF_ROLES or user.org_id is None:
        return public
    mine = [public, Need.id.in_(applied_need_ids(user.org_id))]
    if user.role == Role.enterprise:
        mine.append(Need.org_id == user.org_id)
    return or_(*mine)


def applied_need_ids(org_id: int, *, won: bool = False) -> Select[Any]:
    """The needs `org_id` applied to as lead or consortium member (only the awarded
    applications with `won`): a subquery for the rules here and for needs/repository.py."""
    member_of = select(ApplicationMember.application_id).where(ApplicationMember.org_id == org_id)
    statement = select(Application.need_id).where(
        or_(Application.org_id == org_id, Application.id.in_(member_of))
    )
    if won:
        statement = statement.where(Application.status == ApplicationStatus.awarded)
    return statement


def is_privileged(user: User | None, need: Shown, *, winner: bool = False) -> bool:
    """Owner, brokers, admins and the winners (`winner`: the caller's organisation holds an
    awarded application to `need`) see the enterprise and the contact. Other applicants
    read the need but not the contact."""
    if user is None:
        return False
    return user.role in (Role.broker, Role.admin) or is_owner(user, need) or winner


# A need that has (or had) winners: its milestones and bounty ledger exist.
_AWARDED = frozenset(
    {NeedStatus.awarded, NeedStatus.in_progress, NeedStatus.completed, NeedStatus.terminated}
)


def sees_milestones(user: User | None, need: Need, *, winner: bool = False) -> bool:
    """The parties to an awarded need read its milestones and ledger: the owner, admins and
    the winners' staff (`winner`, as in `is_privileged`). The same rule as
    service/milestones/auth.is_party, told to the web app as the `milestones` action so that
    it never asks for what it would be refused (brokers, experts, other enterprises, visitors)."""
    if user is None or need.status not in _AWARDED:
        return False
    return user.role == Role.admin or is_owner(user, need) or winner


# The needs whose awards the 揭榜结果公示 lists: awarded and on, while the result stands.
RESULT_STATES = frozenset({NeedStatus.awarded, NeedStatus.in_progress, NeedStatus.completed})


def in_results() -> ColumnElement[bool]:
    """The needs of the public 揭榜结果公示: public visibility only (an anonymous need hides its
    enterprise, a brokers-only one its existence), whoever asks."""
    return and_(Need.visibility == Visibility.public, Need.status.in_(RESULT_STATES))


def sees_org(user: User | None, need: Shown, *, winner: bool = False) -> bool:
    return need.visibility != Visibility.anonymous or is_privileged(user, need, winner=winner)


def org_filter(user: User | None, org_id: int) -> ColumnElement[bool]:
    """Filter by organisation without revealing who posted an anonymous need."""
    if user is not None and user.role in (Role.broker, Role.admin):
        return Need.org_id == org_id
    if user is not None and user.org_id == org_id:
        return Need.org_id == org_id
    return and_(Need.org_id == org_id, Need.visibility != Visibility.anonymous)


def sees_history(user: User | None, need: Need) -> bool:
    """The owner and admins read the state history and its reject reason."""
    return user is not None and (user.role == Role.admin or is_owner(user, need))


def sees_settings(user: User | None, need: Need) -> bool:
    """The owner and admins read how the need was set up (its 公开方式, its clarity score);
    everyone else reads the need as it is shown to them."""
    return sees_history(user, need)


def can_edit(user: User | None, need: Need) -> bool:
    return is_owner(user, need) and need.status in EDITABLE_STATES


# Before these states nobody has applied, and the engine recommends nothing for the need.
_NOT_STARTED = frozenset({NeedStatus.draft, NeedStatus.submitted, NeedStatus.rejected})


def open_for_applications(need: Shown) -> bool:
    """张榜中 and before its deadline: 揭榜 applications are taken."""
    return need.status == NeedStatus.published and need.deadline >= today()


def may_apply(user: User | None, need: Shown) -> bool:
    """Org staff of another organisation, while the need is open for 揭榜."""
    return (
        user is not None
        and user.role in ORG_STAFF_ROLES
        and user.org_id not in (None, need.org_id)
        and open_for_applications(need)
    )


def offers(user: User | None, need: Need) -> list[str]:
    """The caller's buttons beside the lifecycle steps (listed in `actions` after them):
    apply (揭榜, open and not the caller's own organisation's), applications (the received ones)
    and reviews (专家论证, 揭榜挂帅 only) for the owner and admins, recommendations for the owner,
    brokers and admins, candidates (the engine's matches awaiting review, which only their
    reviewers read: matches/auth.py) for brokers and admins, request-termination (asking an
    admin) for the owner."""
    if user is None:
        return []
    owner, admin = is_owner(user, need), user.role == Role.admin
    started = need.status not in _NOT_STARTED
    out = []
    if may_apply(user, need):
        out.append("apply")
    if (owner or admin) and started:
        out.append("applications")
        if need.call_type == CallType.jiebang_guashuai:
            out.append("reviews")
    if (owner or admin or user.role == Role.broker) and started:
        out.append("recommendations")
    if user.role in REVIEWER_ROLES and started:
        out.append("candidates")
    if owner and "terminate" in NEED_MACHINE.allowed_actions(need.status):
        out.append("request-termination")
    return out
