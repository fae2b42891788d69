"""Who hears about a capability's review by the bureau: the admins when it is submitted."""

from sqlalchemy.orm import Session

from service.models import Capability
from service.notifications.service import notify_admins
from service.orgs import repository as orgs


def reviewed(session: Session, cap: Capability, action: str) -> None:
    """After submit (the admins hear of it); other actions say nothing here."""
    if action != "submit":
        return
    notify_admins(
        session,
        "capability_submitted",
        f"新成果「{cap.title}」待审核",
        f"{orgs.name_of(session, cap.org_id)}提交了科技成果，请在审核队列中查看后通过或驳回。",
        link="/admin/review?tab=capabilities",
        obj=("capability", cap.id),
    )
