from fastapi import APIRouter
from sqlalchemy.orm import Session

from service.kit.routes import READ_ERRORS, SIGNED_IN_ERRORS, list_route, route
from service.models import User
from service.notifications import service
from service.notifications.schemas import InboxFilter, MarkedRead, NotificationRead, UnreadCount

router = APIRouter(prefix="/notifications", tags=["通知 notifications"])


def _unread(session: Session, user: User) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(session, user))


def _read(session: Session, user: User, notification_id: int) -> NotificationRead:
    return NotificationRead.model_validate(service.mark_read(session, user, notification_id))


def _read_all(session: Session, user: User) -> MarkedRead:
    return MarkedRead(marked=service.mark_all_read(session, user))


list_route(
    router, "", NotificationRead, service.inbox, name="list_notifications", filters=InboxFilter,
    summary="我的通知（分页，最新在前）",
)  # fmt: skip
route(router, "GET", "/unread-count", _unread, UnreadCount, name="unread_count",
      summary="未读通知数", errors=SIGNED_IN_ERRORS)  # fmt: skip
route(router, "POST", "/{notification_id}/read", _read, NotificationRead, name="mark_read",
      summary="标记为已读（仅接收人）", errors=READ_ERRORS)  # fmt: skip
route(router, "POST", "/read-all", _read_all, MarkedRead, name="mark_all_read",
      summary="全部标记为已读", errors=SIGNED_IN_ERRORS)  # fmt: skip
