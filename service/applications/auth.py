"""Who may see and move an application. Applicants never see each other's proposals."""

from sqlalchemy import ColumnElement, exists, false, or_, select

from service.applications.lifecycle import APPLICATION_MACHINE, EDITABLE_STATES
from service.models import Application, ApplicationMember, Need, User
from service.models.enums import Role


def readable(user: User | None) -> ColumnElement[bool]:
    """Admins see all; the need's enterprise sees applications to its needs; an applicant
    (lead or consortium member organisation) sees its own."""
    if user is None:
        return false()
    if user.role == Role.admin:
        return Application.id.is_not(None)
    if user.org_id is None:
        return false()
    own = or_(
        Application.org_id == user.org_id,
        exists(
            select(ApplicationMember.id).where(
                ApplicationMember.application_id == Application.id,
                ApplicationMember.org_id == user.org_id,
            )
        ),
    )
    if user.role == Role.enterprise:
        to_my_needs = exists(
            select(Need.id).where(Need.id == Application.need_id, Need.org_id == user.org_id)
        )
        return or_(own, to_my_needs)
    return own


def is_applicant(user: User | None, app: Application) -> bool:
    """A user of the lead organisation (who applied for it)."""
    return (
        user is not None
        and user.org_id == app.org_id
        and user.role in (Role.researcher, Role.enterprise)
    )


def is_need_owner(user: User | None, need: Need) -> bool:
    return user is not None and user.role == Role.enterprise and user.org_id == need.org_id


def decides(user: User | None, need: Need) -> bool:
    """The posting enterprise or an admin shortlists, rejects and awards."""
    return is_need_owner(user, need) or (user is not None and user.role == Role.admin)


def may(user: User | None, app: Application, need: Need, action: str) -> bool:
    if action == "withdraw":
        return is_applicant(user, app)
    if action in ("shortlist", "reject", "award"):
        return decides(user, need)
    return False


def actions(user: User | None, app: Application, need: Need) -> list[str]:
    allowed = [
        a for a in APPLICATION_MACHINE.allowed_actions(app.status) if may(user, app, need, a)
    ]
    if is_applicant(user, app) and app.status in EDITABLE_STATES:
        allowed.insert(0, "edit")
    return allowed
