"""Deadline steps of the tick: close applications when the 揭榜 deadline passes, expire needs
whose review period ended without an award. Transitions are recorded with actor None."""

from datetime import date, timedelta

from sqlalchemy.orm import Session

from service.applications.lifecycle import APPLICATION_MACHINE
from service.config import get_settings
from service.kit.versioning import flush_versioned
from service.needs import flows
from service.tick import notices, repository

CLOSE_REASON = "揭榜截止，自动进入评审"
EXPIRE_REASON = "评审期满未确定揭榜方，自动过期"
APPLICATION_REASON = "需求评审期满未确定揭榜方，已自动过期，感谢参与揭榜"


def close_applications(session: Session, today: date) -> int:
    """published → under_review for every need whose deadline is before `today`; a
    consortium application still waiting for its members never formed (dissolved)."""
    needs = repository.published_past_deadline(session, today)
    for need in needs:
        flows.take(session, need, "close_applications", None, CLOSE_REASON)
        notices.closed(session, need)
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
        notices.expired(session, need)
        for app in repository.live_applications(session, need.id):
            APPLICATION_MACHINE.apply(
                session,
                app,
                "reject",
                None,
                APPLICATION_REASON,
                {"reject_reason": APPLICATION_REASON},
            )
            notices.application_expired(session, app, need, APPLICATION_REASON)
    flush_versioned(session)
    return len(needs)
