"""Deadline steps of the tick: close applications when the 揭榜 deadline passes, expire needs
whose review period ended without an award. Transitions are recorded with actor None."""

from datetime import date, timedelta

from sqlalchemy.orm import Session

from service.applications.lifecycle import APPLICATION_MACHINE
from service.config import get_settings
from service.kit.versioning import flush_versioned
from service.models import Need
from service.needs import flows
from service.notifications.service import notify_org
from service.tick import repository

CLOSE_REASON = "揭榜截止，自动进入评审"
EXPIRE_REASON = "评审期满未确定揭榜方，自动过期"
APPLICATION_REASON = "需求评审期满未确定揭榜方，已自动过期，感谢参与揭榜"


def close_applications(session: Session, today: date) -> int:
    """published → under_review for every need whose deadline is before `today`; a
    consortium application still waiting for its members never formed (dissolved)."""
    needs = repository.published_past_deadline(session, today)
    for need in needs:
        flows.take(session, need, "close_applications", None, CLOSE_REASON)
        _tell(session, need, "need_under_review", "揭榜已截止，进入评审", "请及时评审揭榜申请。")
    flush_versioned(session)
    return len(needs)


def expire_unawarded(session: Session, today: date) -> int:
    """under_review → expired once `review_period_days` have passed after the deadline.

    The live applications are rejected with a reason, so no applicant is left in silence.
    """
    days = get_settings().review_period_days
    needs = repository.under_review_since(session, today - timedelta(days=days))
    for need in needs:
        flows.take(session, need, "expire", None, EXPIRE_REASON)
        _tell(session, need, "need_expired", "评审期满未确定揭榜方，需求已过期")
        for app in repository.live_applications(session, need.id):
            APPLICATION_MACHINE.apply(
                session,
                app,
                "reject",
                None,
                APPLICATION_REASON,
                {"reject_reason": APPLICATION_REASON},
            )
            notify_org(
                session,
                app.org_id,
                "application_rejected",
                f"「{need.title}」已过期，揭榜申请未入选",
                APPLICATION_REASON,
                link=f"/needs/{need.id}",
                obj=("application", app.id),
            )
    flush_versioned(session)
    return len(needs)


def _tell(session: Session, need: Need, kind: str, what: str, body: str = "") -> None:
    notify_org(
        session,
        need.org_id,
        kind,
        f"「{need.title}」{what}",
        body,
        link=f"/needs/{need.id}",
        obj=("need", need.id),
    )
