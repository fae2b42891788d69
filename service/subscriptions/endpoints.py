"""订阅 (/api/v1/subscriptions): researchers, enterprises and brokers follow fields,
keywords or 为我推荐; `public` holds the one route without a session, 退订 from the e-mail's
signed link."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.orm import Session

from service.auth.deps import CurrentUser
from service.kit.actions import TransitionIn, action_routes
from service.kit.db import SessionDep
from service.kit.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    StaleVersion,
    responses,
)
from service.kit.inputs import Id
from service.kit.pagination import Page, PageDep
from service.models import User
from service.subscriptions import service, unsubscribe
from service.subscriptions.lifecycle import SUBSCRIPTION_MACHINE
from service.subscriptions.schemas import (
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    UnsubscribeResult,
)

router = APIRouter(prefix="/subscriptions", tags=["订阅 subscriptions"])
public = APIRouter(prefix="/subscriptions", tags=["订阅 subscriptions"])
_ERRORS = responses(NotAuthenticated, Forbidden, NotFound)


@router.get(
    "",
    response_model=Page[SubscriptionRead],
    responses=responses(NotAuthenticated, Forbidden),
    summary="我的订阅（科研人员、企业用户、技术经纪人）",
)
def list_subscriptions(
    session: SessionDep, user: CurrentUser, page: PageDep
) -> Page[SubscriptionRead]:
    return service.list_subscriptions(session, user, page)


@router.post(
    "",
    response_model=SubscriptionRead,
    status_code=201,
    responses=responses(NotAuthenticated, Forbidden, BadRequest, Conflict),
    summary="新建订阅：领域、关键词（须全部出现）或「为我推荐」（科研人员）",
)
def create_subscription(
    session: SessionDep, user: CurrentUser, data: SubscriptionCreate
) -> SubscriptionRead:
    return service.create(session, user, data)


@router.get("/{sub_id}", response_model=SubscriptionRead, responses=_ERRORS, summary="订阅详情")
def get_subscription(session: SessionDep, user: CurrentUser, sub_id: Id) -> SubscriptionRead:
    return service.get(session, user, sub_id)


@router.patch(
    "/{sub_id}",
    response_model=SubscriptionRead,
    responses=responses(NotAuthenticated, Forbidden, NotFound, StaleVersion),
    summary="修改订阅名称或邮件摘要频率（须带 version）",
)
def update_subscription(
    session: SessionDep, user: CurrentUser, sub_id: Id, data: SubscriptionUpdate
) -> SubscriptionRead:
    return service.update(session, user, sub_id, data)


@router.delete("/{sub_id}", status_code=204, responses=_ERRORS, summary="删除订阅（本人）")
def delete_subscription(session: SessionDep, user: CurrentUser, sub_id: Id) -> Response:
    service.delete(session, user, sub_id)
    return Response(status_code=204)


def _act(
    session: Session, user: User, sub_id: int, action: str, body: TransitionIn
) -> SubscriptionRead:
    return service.transition(session, user, sub_id, action, body.version)


action_routes(router, SUBSCRIPTION_MACHINE, "/{sub_id}", "subscription", SubscriptionRead, _act)


Token = Annotated[
    str,
    Query(
        min_length=20,
        max_length=2000,
        pattern=r"^[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+$",
        description="邮件中退订链接的签名令牌",
    ),
]


@public.post(
    "/unsubscribe",
    response_model=UnsubscribeResult,
    responses=responses(unsubscribe.LinkExpired, unsubscribe.LinkInvalid),
    summary="一键退订（邮件中的签名链接，无需登录；重复使用无副作用）",
)
def unsubscribe_by_link(session: SessionDep, token: Token) -> UnsubscribeResult:
    return unsubscribe.unsubscribe(session, token)
