"""Demo consortium members answer their invitations the way their staff would."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.applications import service as applications
from service.models import Application, User
from service.models.enums import ORG_STAFF_ROLES, MemberStatus


def answer_invitations(
    session: Session, app: Application, decline_reason: str | None
) -> Application:
    """Each invited member organisation's staff confirm (the first declines, with a reason,
    when `decline_reason` is given) through the real consortium service."""
    for member in [m for m in app.members if m.status == MemberStatus.invited]:
        staff = session.scalar(
            select(User)
            .where(User.org_id == member.org_id, User.role.in_(ORG_STAFF_ROLES))
            .order_by(User.id)
        )
        if staff is None:
            raise ValueError(f"demo organisation {member.org_id} has no staff to answer")
        action = "decline" if decline_reason else "confirm"
        app = applications.decide_membership(session, staff, app.id, action, decline_reason)
        if decline_reason:
            break
    return app
