"""Who may see and move a review assignment: the assigned expert and admins, nobody else."""

from sqlalchemy import ColumnElement, false, true

from service.models import Need, ReviewAssignment, User
from service.models.enums import ReviewStatus, Role
from service.reviews.lifecycle import REVIEW_MACHINE


def readable(user: User | None) -> ColumnElement[bool]:
    """Admins see every assignment; an expert only their own."""
    if user is None:
        return false()
    if user.role == Role.admin:
        return true()
    if user.role == Role.expert:
        return ReviewAssignment.expert_id == user.id
    return false()


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == Role.admin


def is_assignee(user: User | None, assignment: ReviewAssignment) -> bool:
    return user is not None and user.role == Role.expert and user.id == assignment.expert_id


def may(user: User | None, assignment: ReviewAssignment, action: str) -> bool:
    if action in ("submit", "decline", "score"):
        return is_assignee(user, assignment)
    if action == "withdraw":
        return is_admin(user)
    return False


def actions(user: User | None, assignment: ReviewAssignment, conflicted: bool = False) -> list[str]:
    """What the caller could do now; a conflicted expert may only decline."""
    allowed = [
        a for a in REVIEW_MACHINE.allowed_actions(assignment.status) if may(user, assignment, a)
    ]
    if assignment.status == ReviewStatus.assigned and may(user, assignment, "score"):
        allowed.insert(0, "score")
    if conflicted:
        allowed = [a for a in allowed if a not in ("score", "submit")]
    return allowed


def results_view(user: User | None, need: Need) -> str | None:
    """ "full" (admins: every sheet with the expert's name), "aggregate" (the posting
    enterprise: means and counts, no names, no comments) or None (refused)."""
    if is_admin(user):
        return "full"
    if user is not None and user.role == Role.enterprise and user.org_id == need.org_id:
        return "aggregate"
    return None
