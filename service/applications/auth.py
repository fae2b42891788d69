"""Who may see and move an application. Applicants never see each other's proposals.

Parties by organisation are its staff only (ORG_STAFF_ROLES): an expert, broker or admin who
belongs to an applicant organisation acts in another capacity and reads nothing through it.
"""

from sqlalchemy import ColumnElement, exists, false, or_, select

from service.applications.lifecycle import (
    APPLICATION_MACHINE,
    EDITABLE_STATES,
    MEMBER_MACHINE,
    UNCOUNTED_STATES,
    Case,
    is_applicant,
    is_org_staff,
)
from service.models import Application, ApplicationMember, Need, User
from service.models.enums import ApplicationStatus, Role


def readable(user: User | None) -> ColumnElement[bool]:
    """Admins see all; the need's enterprise sees the applications to its needs that count
    (not a consortium still forming, nor one that never formed); the staff of an applicant
    organisation (lead, or member invited to the consortium) see their own."""
    if user is None:
        return false()
    if user.role == Role.admin:
        return Application.id.is_not(None)
    if not is_org_staff(user):
        return false()
    own = or_(
        Application.org_id == user.org_id,
        exists(
            select(ApplicationMember.id)
            .where(
                ApplicationMember.application_id == Application.id,
                ApplicationMember.org_id == user.org_id,
            )
            .correlate_except(ApplicationMember)  # also where the members are joined
        ),
    )
    if user.role == Role.enterprise:
        mine = select(Need.id).where(Need.id == Application.need_id, Need.org_id == user.org_id)
        to_my_needs = exists(mine.correlate_except(Need))  # also where a need row is joined
        return or_(own, to_my_needs & Application.status.not_in(UNCOUNTED_STATES))
    return own


def actions(user: User | None, app: Application, need: Need) -> list[str]:
    """The buttons: edit, the machine's steps for the caller, a member's confirm / decline."""
    allowed = APPLICATION_MACHINE.actions(user, Case(app, need), app.status)
    if is_applicant(user, app) and app.status in EDITABLE_STATES:
        allowed.insert(0, "edit")
    if app.status == ApplicationStatus.forming:
        allowed += [f"{a}_membership" for a in _membership_actions(user, app)]
    return allowed


def membership(user: User | None, app: Application) -> ApplicationMember | None:
    """The (non-lead) member row of the caller's organisation, if the caller is its staff."""
    if user is None or not is_org_staff(user):
        return None
    return next((m for m in app.members if m.org_id == user.org_id and not m.is_lead), None)


def _membership_actions(user: User | None, app: Application) -> list[str]:
    """confirm / decline for the staff of an invited member organisation."""
    member = membership(user, app)
    return MEMBER_MACHINE.allowed_actions(member.status) if member is not None else []
