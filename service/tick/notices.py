"""Who hears about the tick's deadline steps: the posting organisation when its need's 揭榜
closes or its review period runs out, each applicant when its application expires with it."""

from sqlalchemy.orm import Session

from service.models import Application, Need
from service.notifications.service import notify_orgs


def closed(session: Session, need: Need) -> None:
    _tell_owner(session, need, "need_under_review", "揭榜已截止，进入评审", "请及时评审揭榜申请。")


def expired(session: Session, need: Need) -> None:
    _tell_owner(session, need, "need_expired", "评审期满未确定揭榜方，需求已过期")


def application_expired(session: Session, app: Application, need: Need, reason: str) -> None:
    notify_orgs(
        session,
        [app.org_id],
        "application_rejected",
        f"「{need.title}」已过期，揭榜申请未入选",
        reason,
        link=f"/needs/{need.id}",
        obj=("application", app.id),
    )


def _tell_owner(session: Session, need: Need, kind: str, what: str, body: str = "") -> None:
    notify_orgs(
        session,
        [need.org_id],
        kind,
        f"「{need.title}」{what}",
        body,
        link=f"/needs/{need.id}",
        obj=("need", need.id),
    )
