from typing import Annotated

from fastapi import APIRouter, Query

from service.auth.deps import CurrentUser
from service.kit.db import SessionDep
from service.kit.errors import NotAuthenticated, NotFound, responses
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep
from service.notifications import service
from service.notifications.schemas import InboxFilter, MarkedRead, NotificationRead, UnreadCount

router = APIRouter(prefix="/notifications", tags=["通知 notifications"])


@router.get(
    "",
    response_model=Page[NotificationRead],
    responses=responses(NotAuthenticated),
    summary="我的通知（分页，最新在前）",
)
def list_notifications(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    filters: Annotated[InboxFilter, Query()],
) -> Page[NotificationRead]:
    return service.inbox(session, user, filters, page)


@router.get(
    "/unread-count",
    response_model=UnreadCount,
    responses=responses(NotAuthenticated),
    summary="未读通知数",
)
def unread_count(session: SessionDep, user: CurrentUser) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(session, user))


@router.post(
    "/{notification_id}/read",
    response_model=NotificationRead,
    responses=responses(NotAuthenticated, NotFound),
    summary="标记为已读（仅接收人）",
)
def mark_read(session: SessionDep, user: CurrentUser, notification_id: Id) -> NotificationRead:
    return NotificationRead.model_validate(service.mark_read(session, user, notification_id))


@router.post(
    "/read-all",
    response_model=MarkedRead,
    responses=responses(NotAuthenticated),
    summary="全部标记为已读",
)
def mark_all_read(session: SessionDep, user: CurrentUser) -> MarkedRead:
    return MarkedRead(marked=service.mark_all_read(session, user))
