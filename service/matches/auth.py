"""Who may see and move a match.

Brokers and admins see every match and review them (except where they have a conflict of
interest); a need's enterprise and a capability's organisation see the matches of their own
postings from the recommendation on, and may only mark interest. Nobody else sees matches.
"""

from sqlalchemy import ColumnElement, and_, exists, false, select, true

from service.kit.errors import Forbidden
from service.matches.lifecycle import (
    INTEREST_ACTIONS,
    MATCH_MACHINE,
    REQUESTABLE_STATES,
    REVIEWER_ROLES,
    SIDE_STATES,
)
from service.models import Capability, Match, Need, User
from service.models.enums import CapabilityStatus, NeedStatus, Role

OPEN_POSTING_ACTIONS = frozenset({"approve", "recommend"})  # need both postings still open
# 签约 waits while the need's 揭榜 round runs: the enterprise never holds a signed broker deal
# and an open call (or a call being decided) for the same need at once.
ROUND_STATES = frozenset({NeedStatus.published.value, NeedStatus.under_review.value})
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


def has_conflict(user: User, need: Need, cap: Capability) -> bool:
    """A reviewer from either party's organisation may not judge the match."""
    return user.org_id is not None and user.org_id in (need.org_id, cap.org_id)


def postings_open(need: Need, cap: Capability) -> bool:
    return need.status == NeedStatus.published and cap.status == CapabilityStatus.published


def deal_waits(match: Match) -> bool:
    return match.status == "negotiating" and match.need.status in ROUND_STATES


def actions(user: User | None, match: Match) -> list[str]:
    """What the caller could do now, named as the endpoint (`POST /matches/{id}/<action>`):
    the machine's steps for the caller, less those a conflict of interest or a closed posting
    forbids; either side's interest is the one `interest`."""
    need, cap = match.need, match.capability
    allowed = []
    for action in MATCH_MACHINE.actions(user, match, match.status):
        if action == "request":  # the sides ask over POST /matches/requests, not here
            continue
        if action in INTEREST_ACTIONS:
            if not getattr(match, action):
                allowed.append("interest")
            continue
        if user is not None and has_conflict(user, need, cap):
            continue
        if action in OPEN_POSTING_ACTIONS and not postings_open(need, cap):
            continue
        if action == "deal" and need.status in ROUND_STATES:
            continue
        allowed.append(action)
    return allowed


def requestable(pair: tuple[str, bool] | None) -> bool:
    """Whether a side may still ask a broker for a pair whose match is `pair` (status,
    requested) or that has none: a new pair, or a queued/rejected one nobody asked for."""
    return pair is None or (pair[0] in REQUESTABLE_STATES and not pair[1])
