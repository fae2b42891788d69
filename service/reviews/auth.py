"""Who may see and move a review assignment: the assigned expert and admins, nobody else."""

from sqlalchemy import ColumnElement, false, true

from service.models import Need, ReviewAssignment, User
from service.models.enums import ReviewStatus, Role
from service.reviews.lifecycle import REVIEW_MACHINE, is_assignee


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


def actions(user: User | None, assignment: ReviewAssignment, conflicted: bool = False) -> list[str]:
    """What the caller could do now; a conflicted expert may only decline."""
    allowed = REVIEW_MACHINE.actions(user, assignment, assignment.status)
    if assignment.status == ReviewStatus.assigned and is_assignee(user, assignment):
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
