"""订阅 (/api/v1/subscriptions): researchers, enterprises and brokers follow fields,
keywords or 为我推荐; `public` holds the one route without a session, 退订 from the e-mail's
signed link."""

from typing import Annotated

from fastapi import Query, Response
from sqlalchemy.orm import Session

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
from service.kit.routes import (
    GUARDED_ERRORS,
    ROLE_ERRORS,
    Resource,
    create_route,
    list_route,
    route,
    routers,
)
from service.models import User
from service.subscriptions import service, unsubscribe
from service.subscriptions.lifecycle import SUBSCRIPTION_MACHINE
from service.subscriptions.schemas import (
    SubscriptionCreate,
    SubscriptionRead,
    SubscriptionUpdate,
    UnsubscribeResult,
)

router, public = routers("订阅 subscriptions", "/subscriptions")
item = Resource(router, "/{sub_id}", "subscription", SubscriptionRead, service.get)


def _delete(session: Session, user: User, sub_id: int) -> Response:
    service.delete(session, user, sub_id)
    return Response(status_code=204)


list_route(
    router, "", SubscriptionRead, service.list_subscriptions, name="list_subscriptions",
    summary="我的订阅（科研人员、企业用户、技术经纪人）", errors=ROLE_ERRORS,
)  # fmt: skip
create_route(
    router, "", SubscriptionRead, service.create, SubscriptionCreate, name="create_subscription",
    summary="新建订阅：领域、关键词（须全部出现）或「为我推荐」（科研人员）",
    errors=responses(NotAuthenticated, Forbidden, BadRequest, Conflict),
)  # fmt: skip
item.detail("订阅详情", GUARDED_ERRORS)
item.update(
    SubscriptionUpdate, service.update, "修改订阅名称或邮件摘要频率（须带 version）",
    responses(NotAuthenticated, Forbidden, NotFound, StaleVersion),
)  # fmt: skip
route(router, "DELETE", "/{sub_id}", _delete, None, name="delete_subscription", status_code=204,
      summary="删除订阅（本人）", errors=GUARDED_ERRORS)  # fmt: skip
item.actions(SUBSCRIPTION_MACHINE, service.transition)


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
