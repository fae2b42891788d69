"""Who may see and move milestones: the posting enterprise, the winners, admins — nobody else.

The winning (lead) organisation acts; consortium member organisations read.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, select

from service.applications import auth as applications_auth
from service.milestones.lifecycle import EDITABLE_STATES, MILESTONE_MACHINE, Work
from service.models import Application, Milestone, Need, User
from service.models.enums import Role
from service.needs import auth as needs_auth


def readable(user: User | None) -> ColumnElement[bool]:
    """A milestone is readable by whoever may read its application (owner, winner, admin)."""
    return exists(
        select(Application.id).where(
            Application.id == Milestone.application_id, applications_auth.readable(user)
        )
    )


def is_admin(user: User | None) -> bool:
    return user is not None and user.role == Role.admin


def winner_org_ids(app: Application) -> set[int]:
    return {app.org_id, *(m.org_id for m in app.members)}


def is_party(user: User | None, need: Need, winners: Sequence[Application]) -> bool:
    """Owner, admin, or the staff of an organisation (lead or member) of a winning application
    (an expert or broker who belongs to it is no party)."""
    if needs_auth.is_owner(user, need) or is_admin(user):
        return True
    return any(_staff_of_winner(user, a) for a in winners)


def sees_application(user: User | None, need: Need, app: Application) -> bool:
    """Owner and admins see every winner's rows; a winner's staff see their own."""
    if needs_auth.is_owner(user, need) or is_admin(user):
        return True
    return _staff_of_winner(user, app)


def _staff_of_winner(user: User | None, app: Application) -> bool:
    return (
        user is not None
        and applications_auth.is_org_staff(user)
        and user.org_id in winner_org_ids(app)
    )


def actions(user: User | None, milestone: Milestone, need: Need, app: Application) -> list[str]:
    """What the caller could do now (drives the web app's buttons): edit, then the steps."""
    allowed = MILESTONE_MACHINE.actions(user, Work(need, app), milestone.status)
    if needs_auth.is_owner(user, need) and milestone.status in EDITABLE_STATES:
        allowed.insert(0, "edit")
    return allowed
