"""Who may see and move a match.

Brokers and admins see every match and review them (except where they have a conflict of
interest); a need's enterprise and a capability's organisation see the matches of their own
postings from the recommendation on, and may only mark interest. Nobody else sees matches.
"""

from sqlalchemy import ColumnElement, and_, exists, false, select, true

from service.kit.errors import Forbidden
from service.matches.lifecycle import INTEREST_ACTIONS, MATCH_MACHINE, REVIEW_ACTIONS, SIDE_STATES
from service.models import Capability, Match, Need, User
from service.models.enums import CapabilityStatus, NeedStatus, Role

REVIEWER_ROLES = (Role.broker, Role.admin)
OPEN_POSTING_ACTIONS = frozenset({"approve", "recommend"})  # need both postings still open
LISTING_ROLES = (Role.broker, Role.admin, Role.enterprise, Role.researcher)


def readable(user: User | None) -> ColumnElement[bool]:
    if user is None:
        return false()
    if user.role in REVIEWER_ROLES:
        return true()
    if user.org_id is None:
        return false()
    shown = Match.status.in_(SIDE_STATES)
    if user.role == Role.enterprise:
        mine = exists(select(Need.id).where(Need.id == Match.need_id, Need.org_id == user.org_id))
        return and_(shown, mine)
    if user.role == Role.researcher:
        mine = exists(
            select(Capability.id).where(
                Capability.id == Match.capability_id, Capability.org_id == user.org_id
            )
        )
        return and_(shown, mine)
    return false()


def require_lister(user: User) -> None:
    if user.role not in LISTING_ROLES:
        raise Forbidden("你的角色不能查看匹配", "Your role may not see matches", code="wrong_role")


def is_reviewer(user: User | None) -> bool:
    return user is not None and user.role in REVIEWER_ROLES


def is_need_side(user: User | None, need: Need) -> bool:
    """An enterprise user of the need's organisation (the same rule as needs/auth.is_owner)."""
    return user is not None and user.role == Role.enterprise and user.org_id == need.org_id


def is_capability_side(user: User | None, cap: Capability) -> bool:
    return user is not None and user.role == Role.researcher and user.org_id == cap.org_id


def has_conflict(user: User, need: Need, cap: Capability) -> bool:
    """A reviewer from either party's organisation may not judge the match."""
    return user.org_id is not None and user.org_id in (need.org_id, cap.org_id)


def may(user: User | None, need: Need, cap: Capability, action: str) -> bool:
    """Whether `user` holds the role for `action` (state and conflicts are checked apart)."""
    if action in REVIEW_ACTIONS:
        return is_reviewer(user)
    if action == "need_interest":
        return is_need_side(user, need)
    if action == "capability_interest":
        return is_capability_side(user, cap)
    return False


def postings_open(need: Need, cap: Capability) -> bool:
    return need.status == NeedStatus.published and cap.status == CapabilityStatus.published


def actions(user: User | None, match: Match, need: Need, cap: Capability) -> list[str]:
    """What the caller could do now, named as the endpoint (`POST /matches/{id}/<action>`):
    drives the buttons the web app shows. Either side's interest is the one `interest`."""
    allowed = []
    for action in MATCH_MACHINE.allowed_actions(match.status):
        if not may(user, need, cap, action):
            continue
        if action in INTEREST_ACTIONS:
            if not getattr(match, action):
                allowed.append("interest")
            continue
        if user is not None and is_reviewer(user) and has_conflict(user, need, cap):
            continue
        if action in OPEN_POSTING_ACTIONS and not postings_open(need, cap):
            continue
        allowed.append(action)
    return allowed
